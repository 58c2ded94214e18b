//! The policy restated in the terms every stack needs: literal origins, anchored regexes, and the
//! exact header values `Policy::decide` sends, so each stack module only chooses syntax.

use corsair_core::pattern::{HostPattern, PortPattern};
use corsair_core::{OriginPattern, Policy, RefusalStyle};

/// What a stack must implement, read once from a [`Policy`].
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// `*` alone without credentials: every origin gets `Access-Control-Allow-Origin: *`.
    pub star: bool,
    /// `*` next to credentials or other patterns: every origin is echoed.
    pub any_echoed: bool,
    /// Origins compared byte for byte (checked first: the allow-list, never a reflection).
    pub exact: Vec<String>,
    /// Patterns as anchored regexes, with the pattern they came from.
    pub regexes: Vec<(String, String)>,
    pub credentials: bool,
    /// Methods a preflight may ask for; `None` for any. GET, HEAD and POST are always allowed.
    pub methods: Option<Vec<String>>,
    /// Lower-case request headers a preflight may ask for; `None` for any.
    pub headers: Option<Vec<String>>,
    /// With `headers: None`, whether `authorization` is covered too.
    pub any_header_authorization: bool,
    /// `Access-Control-Allow-Methods` on an allowed preflight; `None` means echo the request's.
    pub allow_methods_value: Option<String>,
    /// `Access-Control-Allow-Headers` when headers were requested; `None` means echo.
    pub allow_headers_value: Option<String>,
    pub expose_value: Option<String>,
    pub max_age: Option<u32>,
    /// Status of an allowed preflight.
    pub preflight_status: u16,
    /// Status of a refused preflight.
    pub refused_preflight_status: u16,
    /// Status of a refused actual request, if refused ones are answered instead of forwarded.
    pub refused_actual_status: Option<u16>,
    /// Parts of the policy no stack here writes; each becomes a comment and a warning.
    pub unsupported: Vec<String>,
}

impl Plan {
    pub(crate) fn of(policy: &Policy) -> Plan {
        let credentials = policy.allows_credentials();
        let origins = policy.origins();
        let any = origins.iter().any(|o| matches!(o, OriginPattern::Any));
        let star = any && origins.len() == 1 && !credentials;
        let mut exact = Vec::new();
        let mut regexes = Vec::new();
        for o in origins {
            match o {
                OriginPattern::Any => {}
                OriginPattern::Exact(origin) => exact.push(origin.as_str().to_owned()),
                OriginPattern::Wildcard { scheme, host, port } => {
                    regexes.push((o.to_string(), regex(scheme, host, *port)));
                }
            }
        }
        let methods = policy.allowed_methods().map(|l| l.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>());
        let headers = policy.allowed_headers().map(|l| l.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
        let allow_methods_value = match &methods {
            None if credentials => None,
            None => Some("*".to_owned()),
            Some(l) => Some(l.join(",")),
        };
        let any_header_authorization = policy.star_headers_cover_authorization();
        let allow_headers_value = match &headers {
            None if credentials => None,
            None if any_header_authorization => Some("*,authorization".to_owned()),
            None => Some("*".to_owned()),
            Some(l) => Some(l.join(",")),
        };
        let exposed = policy.exposed_headers();
        let (refused_preflight_status, refused_actual_status) = match policy.refusal() {
            RefusalStyle::OmitHeaders => (policy.preflight_status().as_u16(), None),
            RefusalStyle::RejectPreflight(s) => (s.as_u16(), None),
            RefusalStyle::RejectAll(s) => (s.as_u16(), Some(s.as_u16())),
        };
        let mut unsupported = Vec::new();
        if policy.forwards_preflights() {
            unsupported.push(
                "forward_preflights = true: the snippet answers preflights itself; route OPTIONS to the app by hand if it must see them".to_owned(),
            );
        }
        if policy.allows_private_network() {
            unsupported.push(
                "allow_private_network = true: Access-Control-Allow-Private-Network is not written (Chromium retired the preflight)".to_owned(),
            );
        }
        Plan {
            star,
            any_echoed: any && !star,
            exact,
            regexes,
            credentials,
            methods,
            headers,
            any_header_authorization,
            allow_methods_value,
            allow_headers_value,
            expose_value: (!exposed.is_empty()).then(|| exposed.join(",")),
            max_age: policy.max_age(),
            preflight_status: policy.preflight_status().as_u16(),
            refused_preflight_status,
            refused_actual_status,
            unsupported,
        }
    }

    /// The methods a preflight may ask for, with the always-allowed three, for stacks that check.
    pub(crate) fn preflight_methods(&self) -> Option<Vec<String>> {
        self.methods.as_ref().map(|l| {
            let mut all: Vec<String> = ["GET", "HEAD", "POST"].iter().map(|m| (*m).to_owned()).collect();
            for m in l {
                if !all.contains(m) {
                    all.push(m.clone());
                }
            }
            all
        })
    }
}

/// An anchored regex matching exactly the origins `pattern` matches: dots and every other
/// metacharacter escaped, subdomain labels limited to `[a-z0-9-]` so `*` never spans a dot
/// boundary into the parent's place.
fn regex(scheme: &str, host: &HostPattern, port: PortPattern) -> String {
    let mut r = format!("^{}://", escape(scheme));
    match host {
        HostPattern::Exact(h) => r.push_str(&escape(h)),
        HostPattern::SubdomainsOf(h) => {
            r.push_str("(?:[a-z0-9-]+\\.)+");
            r.push_str(&escape(h));
        }
    }
    match port {
        PortPattern::Default => {}
        PortPattern::Exact(p) => r.push_str(&format!(":{p}")),
        PortPattern::Any => r.push_str("(?::[0-9]{1,5})?"),
    }
    r.push('$');
    r
}

/// Escapes regex metacharacters; the result means the same in PCRE (nginx), JavaScript's
/// `new RegExp`, and Python's `re`.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(origins: &[&str]) -> Plan {
        Plan::of(&Policy::builder().allow_origins(origins.iter().copied()).build().unwrap())
    }

    #[test]
    fn subdomain_pattern_is_anchored_with_dots_escaped() {
        let p = plan(&["https://*.example.com"]);
        assert_eq!(p.regexes[0].1, r"^https://(?:[a-z0-9-]+\.)+example\.com$");
    }

    #[test]
    fn any_port_pattern_allows_no_port() {
        let p = plan(&["http://localhost:*"]);
        assert_eq!(p.regexes[0].1, r"^http://localhost(?::[0-9]{1,5})?$");
    }

    #[test]
    fn exact_origins_stay_literal() {
        let p = plan(&["https://app.example.com"]);
        assert_eq!(p.exact, ["https://app.example.com"]);
        assert!(p.regexes.is_empty());
    }
}
