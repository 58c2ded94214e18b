//! What a message can report besides a [`CorsError`]: Firefox's reason codes, the failures
//! other browsers name that Chromium's enum has no variant for, and the script-side symptoms
//! people paste instead of the console message.

use crate::cors_error::{AddressSpace, CorsError};

/// Firefox's reason, as MDN names it (`CORSMissingAllowOrigin`; the properties file adds digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FirefoxReason {
    /// `CORSDisabled`: the `content.cors.disable` preference is set.
    CorsDisabled,
    /// `CORSDidNotSucceed`: the request failed below CORS (or after a failed preflight).
    DidNotSucceed,
    /// `CORSOriginHeaderNotAdded`: an extension's expanded principal.
    OriginHeaderNotAdded,
    /// `CORSExternalRedirectNotAllowed`: the preflight was redirected.
    ExternalRedirectNotAllowed,
    /// `CORSRequestNotHttp`: not an http(s) URL.
    RequestNotHttp,
    /// `CORSMissingAllowOrigin`.
    MissingAllowOrigin,
    /// `CORSMultipleAllowOriginNotAllowed`: more than one `Access-Control-Allow-Origin` line.
    MultipleAllowOriginNotAllowed,
    /// `CORSAllowOriginNotMatchingOrigin`.
    AllowOriginNotMatchingOrigin,
    /// `CORSNotSupportingCredentials`: `*` with credentials.
    NotSupportingCredentials,
    /// `CORSMethodNotFound`.
    MethodNotFound,
    /// `CORSMissingAllowCredentials`.
    MissingAllowCredentials,
    /// `CORSPreflightDidNotSucceed`: the preflight's status is not 2xx.
    PreflightDidNotSucceed,
    /// `CORSInvalidAllowMethod`.
    InvalidAllowMethod,
    /// `CORSInvalidAllowHeader`.
    InvalidAllowHeader,
    /// `CORSMissingAllowHeaderFromPreflight`.
    MissingAllowHeaderFromPreflight,
    /// `CORSAllowHeaderFromPreflightDeprecation`: a warning about `*` and `Authorization`.
    AllowHeaderFromPreflightDeprecation,
}

impl FirefoxReason {
    /// MDN's name.
    pub fn code(self) -> &'static str {
        use FirefoxReason::*;
        match self {
            CorsDisabled => "CORSDisabled",
            DidNotSucceed => "CORSDidNotSucceed",
            OriginHeaderNotAdded => "CORSOriginHeaderNotAdded",
            ExternalRedirectNotAllowed => "CORSExternalRedirectNotAllowed",
            RequestNotHttp => "CORSRequestNotHttp",
            MissingAllowOrigin => "CORSMissingAllowOrigin",
            MultipleAllowOriginNotAllowed => "CORSMultipleAllowOriginNotAllowed",
            AllowOriginNotMatchingOrigin => "CORSAllowOriginNotMatchingOrigin",
            NotSupportingCredentials => "CORSNotSupportingCredentials",
            MethodNotFound => "CORSMethodNotFound",
            MissingAllowCredentials => "CORSMissingAllowCredentials",
            PreflightDidNotSucceed => "CORSPreflightDidNotSucceed",
            InvalidAllowMethod => "CORSInvalidAllowMethod",
            InvalidAllowHeader => "CORSInvalidAllowHeader",
            MissingAllowHeaderFromPreflight => "CORSMissingAllowHeaderFromPreflight",
            AllowHeaderFromPreflightDeprecation => "CORSAllowHeaderFromPreflightDeprecation",
        }
    }

    /// The catalogue's error for this reason, given the value the reason names and the status;
    /// `None` for the reasons Chromium has no error for (see [`FirefoxReason::other`]).
    pub fn error(self, value: Option<&str>, status: Option<u16>) -> Option<CorsError> {
        use FirefoxReason::*;
        let value = value.unwrap_or_default();
        Some(match self {
            MissingAllowOrigin => CorsError::MissingAllowOriginHeader,
            MultipleAllowOriginNotAllowed => CorsError::MultipleAllowOriginValues { value: Vec::new() },
            AllowOriginNotMatchingOrigin => CorsError::AllowOriginMismatch { value: value.as_bytes().to_vec() },
            NotSupportingCredentials => CorsError::WildcardOriginNotAllowed,
            MissingAllowCredentials => CorsError::InvalidAllowCredentials { value: Vec::new() },
            PreflightDidNotSucceed => CorsError::PreflightInvalidStatus { status: status.unwrap_or(0) },
            ExternalRedirectNotAllowed => CorsError::PreflightDisallowedRedirect,
            InvalidAllowMethod => CorsError::InvalidAllowMethodsPreflightResponse,
            InvalidAllowHeader => CorsError::InvalidAllowHeadersPreflightResponse,
            MethodNotFound => CorsError::MethodDisallowedByPreflightResponse { method: String::new() },
            MissingAllowHeaderFromPreflight => {
                CorsError::HeaderDisallowedByPreflightResponse { name: value.to_ascii_lowercase() }
            }
            RequestNotHttp => CorsError::CorsDisabledScheme,
            CorsDisabled | DidNotSucceed | OriginHeaderNotAdded | AllowHeaderFromPreflightDeprecation => return None,
        })
    }

    /// The failure for the reasons Chromium has no error for.
    pub fn other(self) -> Option<OtherFailure> {
        match self {
            FirefoxReason::CorsDisabled => Some(OtherFailure::CorsDisabled),
            FirefoxReason::DidNotSucceed => Some(OtherFailure::RequestDidNotSucceed),
            FirefoxReason::OriginHeaderNotAdded => Some(OtherFailure::OriginHeaderNotAdded),
            FirefoxReason::AllowHeaderFromPreflightDeprecation => Some(OtherFailure::AuthorizationNotCoveredByWildcard),
            _ => None,
        }
    }
}

/// A failure a browser reports that Chromium's current `CorsError` enum has no variant for:
/// Firefox-only reasons, and older Chromium and WebKit checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OtherFailure {
    /// Firefox: CORS is switched off in the browser (`CORSDisabled`).
    CorsDisabled,
    /// Firefox: the request failed before any CORS check (`CORSDidNotSucceed`).
    RequestDidNotSucceed,
    /// Firefox: the `Origin` header could not be added (`CORSOriginHeaderNotAdded`).
    OriginHeaderNotAdded,
    /// Firefox's warning: `Access-Control-Allow-Headers: *` does not cover `Authorization`.
    AuthorizationNotCoveredByWildcard,
    /// Chromium before 2018: a preflighted request was redirected.
    RedirectAfterPreflight,
    /// A redirect to a scheme without CORS (Chromium before 2019, WebKit).
    RedirectDisallowedScheme,
    /// WebKit: the page's `fetch()` said `redirect: 'error'` and the answer was a redirect
    /// ("Not allowed to follow a redirection while loading URL").
    RedirectModeError,
    /// Chromium's Private Network Access (2021-2025): no
    /// `Access-Control-Allow-Private-Network` in the preflight's answer.
    PrivateNetworkAllowMissing {
        /// The space the request targeted.
        target: AddressSpace,
    },
    /// Private Network Access: `Access-Control-Allow-Private-Network` not `true`.
    PrivateNetworkAllowInvalid {
        /// The space the request targeted.
        target: AddressSpace,
    },
    /// Private Network Access: a private resource reached without a declared target space.
    PrivateNetworkUnexpected {
        /// The resource's space.
        resource: AddressSpace,
    },
    /// Private Network Access: no `Private-Network-Access-Id` or `-Name` in the preflight's answer.
    PrivateNetworkIdMissing {
        /// The space the request targeted.
        target: AddressSpace,
    },
    /// Private Network Access: the permission prompt could not be shown.
    PrivateNetworkPermissionUnavailable {
        /// The space the request targeted.
        target: AddressSpace,
    },
}

impl OtherFailure {
    /// A stable name for JSON and logs.
    pub fn name(&self) -> &'static str {
        use OtherFailure::*;
        match self {
            CorsDisabled => "CORSDisabled",
            RequestDidNotSucceed => "CORSDidNotSucceed",
            OriginHeaderNotAdded => "CORSOriginHeaderNotAdded",
            AuthorizationNotCoveredByWildcard => "CORSAllowHeaderFromPreflightDeprecation",
            RedirectAfterPreflight => "RedirectAfterPreflight",
            RedirectDisallowedScheme => "RedirectDisallowedScheme",
            RedirectModeError => "RedirectModeError",
            PrivateNetworkAllowMissing { .. } => "kPreflightMissingAllowPrivateNetwork",
            PrivateNetworkAllowInvalid { .. } => "kPreflightInvalidAllowPrivateNetwork",
            PrivateNetworkUnexpected { .. } => "kUnexpectedPrivateNetworkAccess",
            PrivateNetworkIdMissing { .. } => "kPreflightMissingPrivateNetworkAccessId",
            PrivateNetworkPermissionUnavailable { .. } => "kPrivateNetworkAccessPermissionUnavailable",
        }
    }

    /// True for a warning: the request was not blocked (yet).
    pub fn is_warning(&self) -> bool {
        matches!(self, OtherFailure::AuthorizationNotCoveredByWildcard)
    }

    /// What went wrong, in plain words.
    pub fn explanation(&self) -> &'static str {
        use OtherFailure::*;
        match self {
            CorsDisabled => "CORS is switched off in this Firefox profile (the `content.cors.disable` preference), so every cross-origin request is refused, whatever the server sends.",
            RequestDidNotSucceed => "The request failed before any CORS check: the server could not be reached, the connection or TLS handshake failed (a self-signed certificate, a wrong port), or the request was cancelled. Firefox also prints this after a failed preflight: the message before it for the same URL names the real cause.",
            OriginHeaderNotAdded => "Firefox could not add the `Origin` header to the request; this happens to requests made by extensions, not by pages.",
            AuthorizationNotCoveredByWildcard => "A warning, not a failure yet: `Access-Control-Allow-Headers: *` does not cover `Authorization`, and Firefox will refuse such requests.",
            RedirectAfterPreflight => "Chromium before 2018 refused to follow a redirect of a request that needed a preflight.",
            RedirectDisallowedScheme => "A cross-origin request was redirected to a URL whose scheme has no CORS (not http or https).",
            RedirectModeError => "The page called fetch() with `redirect: 'error'`, and the server answered with a redirect: the browser refuses to follow it. No CORS header would change that.",
            PrivateNetworkAllowMissing { .. } | PrivateNetworkAllowInvalid { .. } => "A public page asked for a private or local address (Private Network Access), and the preflight's answer did not carry `Access-Control-Allow-Private-Network: true`.",
            PrivateNetworkUnexpected { .. } => "The resource turned out to be on a more private network than the request declared (Private Network Access).",
            PrivateNetworkIdMissing { .. } => "The preflight's answer to a private network request lacked the `Private-Network-Access-Id` or `-Name` header that the permission prompt needs.",
            PrivateNetworkPermissionUnavailable { .. } => "Chromium could not ask the user for permission to reach the private network.",
        }
    }

    /// What to change.
    pub fn advice(&self) -> &'static str {
        use OtherFailure::*;
        match self {
            CorsDisabled => "Set `content.cors.disable` back to false in about:config.",
            RequestDidNotSucceed => "Check that the URL answers at all (`corsair check URL --origin ORIGIN` shows the transport error); if another CORS message came first, explain that one.",
            OriginHeaderNotAdded => "Make the request from a page, or give the extension host permission for the URL.",
            AuthorizationNotCoveredByWildcard => "List `Authorization` explicitly: `Access-Control-Allow-Headers: Authorization, ...`.",
            RedirectAfterPreflight => "Call the final URL directly so that no redirect happens.",
            RedirectDisallowedScheme => "Redirect to an http(s) URL, or call the final URL directly.",
            RedirectModeError => "Call the final URL directly, or drop `redirect: 'error'` from the fetch() call.",
            PrivateNetworkAllowMissing { .. } | PrivateNetworkAllowInvalid { .. } => "Answer the preflight with `Access-Control-Allow-Private-Network: true` (older Chromium), or serve the page over https and let the user grant local network access (current Chromium).",
            PrivateNetworkUnexpected { .. } => "Declare the target address space on the request, or call the server through the address space it is in.",
            PrivateNetworkIdMissing { .. } => "Send `Private-Network-Access-Id` and `Private-Network-Access-Name` on the preflight's answer.",
            PrivateNetworkPermissionUnavailable { .. } => "Serve the page over https from a top-level window, where the prompt can be shown.",
        }
    }
}

/// What scripts and frameworks log when the browser blocks a request: the reason is hidden from
/// them on purpose, so these say only that something failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symptom {
    /// `TypeError: Failed to fetch` (Chromium), `NetworkError when attempting to fetch resource`
    /// (Firefox) or `Load failed` (Safari).
    FetchRejected,
    /// axios: `Network Error` (`ERR_NETWORK`).
    AxiosNetworkError,
    /// Angular: `Http failure response for URL: 0 Unknown Error`.
    AngularUnknownError {
        /// The URL, when the log names it.
        url: Option<String>,
    },
    /// DevTools' network line (`GET URL net::ERR_FAILED`) or `Failed to load resource:
    /// net::ERR_FAILED`, without the CORS message before it.
    NetErrFailed {
        /// The URL, when the line names it.
        url: Option<String>,
    },
}

impl std::fmt::Display for Symptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self {
            Symptom::FetchRejected => "this is what the script sees (fetch() rejected)",
            Symptom::AxiosNetworkError => "this is axios's \"Network Error\"",
            Symptom::AngularUnknownError { .. } => "this is Angular's status 0 \"Unknown Error\"",
            Symptom::NetErrFailed { .. } => "this is DevTools' network line (net::ERR_FAILED)",
        };
        write!(
            f,
            "{what}: the browser hides the reason from scripts on purpose. The reason is in the browser's console (DevTools, Console tab), in the line just before: paste that line"
        )?;
        if let Symptom::AngularUnknownError { url: Some(url) } | Symptom::NetErrFailed { url: Some(url) } = self {
            write!(f, ", or run `corsair check {url} --origin <the page's origin>`")?;
        }
        Ok(())
    }
}
