//! The preflight: the request Chromium sends, and how it judges the answer.

use super::response::{check_access, Response};
use super::Warning;
use crate::cors_error::CorsError;
use crate::origin::Origin;
use crate::token::parse_list;

/// Seconds Chromium caches a preflight whose answer has no usable `Access-Control-Max-Age`.
pub const DEFAULT_MAX_AGE: u32 = 5;

/// What a successful preflight leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightGrant {
    /// How long Chromium would cache the answer, in seconds (after its cap).
    pub max_age: u32,
}

/// Judges a preflight answer in Chromium's order: redirect, access check (with the actual
/// request's credentials mode), status, the two lists' syntax, the method, then the headers.
///
/// `unsafe_names` are the CORS-unsafe request-header names, sorted (Chromium reports the first
/// missing one in its own hash order, which cannot be reproduced; sorted order is our choice).
pub fn check_preflight(
    response: &Response,
    origin: &Origin,
    include: bool,
    method: &str,
    unsafe_names: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<PreflightGrant, CorsError> {
    if response.is_redirect() {
        return Err(CorsError::PreflightDisallowedRedirect);
    }
    check_access(response, origin, include).map_err(CorsError::into_preflight)?;
    if !(200..=299).contains(&response.status) {
        return Err(CorsError::PreflightInvalidStatus { status: response.status });
    }
    let methods =
        list(response, "access-control-allow-methods").ok_or(CorsError::InvalidAllowMethodsPreflightResponse)?;
    let headers: Vec<String> = list(response, "access-control-allow-headers")
        .ok_or(CorsError::InvalidAllowHeadersPreflightResponse)?
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let max_age = max_age(response, warnings);

    let method_ok = methods.iter().any(|m| m == method)
        || crate::method::is_safelisted(&method.to_ascii_uppercase())
        || (!include && methods.iter().any(|m| m == "*"));
    if !method_ok {
        return Err(CorsError::MethodDisallowedByPreflightResponse { method: method.to_owned() });
    }

    if !include && headers.iter().any(|h| h == "*") {
        let authorization = "authorization";
        if unsafe_names.iter().any(|n| n == authorization) && !headers.iter().any(|h| h == authorization) {
            warnings.push(Warning::AuthorizationCoveredByWildcard);
        }
    } else if let Some(missing) = unsafe_names.iter().find(|n| !headers.contains(n)) {
        return Err(CorsError::HeaderDisallowedByPreflightResponse { name: missing.clone() });
    }
    Ok(PreflightGrant { max_age })
}

/// A `#token` list header; `None` if an item is not a token. Absent means empty.
fn list(response: &Response, name: &str) -> Option<Vec<String>> {
    match response.normalized(name) {
        None => Some(Vec::new()),
        Some(v) => {
            let text: String = v.iter().map(|&b| b as char).collect();
            parse_list([text.as_str()]).ok()
        }
    }
}

/// Chromium's reading of `Access-Control-Max-Age`: an integer (a leading `+` allowed),
/// negative means 0, capped at 7200; anything unparsable (or several lines) means 5 seconds.
fn max_age(response: &Response, warnings: &mut Vec<Warning>) -> u32 {
    let Some(v) = response.normalized("access-control-max-age") else { return DEFAULT_MAX_AGE };
    let text = String::from_utf8_lossy(&v);
    // Rust's integer parser, like Chromium's StringToInt64, takes one leading sign and nothing else.
    match text.parse::<i64>().ok() {
        None => DEFAULT_MAX_AGE,
        Some(n) if n < 0 => 0,
        Some(n) if n > i64::from(crate::policy::CHROMIUM_MAX_AGE_CAP) => {
            warnings.push(Warning::MaxAgeCapped { sent: n, used: crate::policy::CHROMIUM_MAX_AGE_CAP });
            crate::policy::CHROMIUM_MAX_AGE_CAP
        }
        Some(n) => n as u32,
    }
}
