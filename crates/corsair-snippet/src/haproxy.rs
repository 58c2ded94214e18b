//! HAProxy 2.2+: `http-request set-var` rules classify the request into transaction variables
//! (the allowed origin, the kind, refused or not), `http-request return` answers preflights, and
//! `http-after-response` writes the headers on every answer: the backend's, errors included,
//! HAProxy's own (503, 504, `return`) too, which `http-response` rules never see.
//!
//! Request headers are read with `req.fhdr` (the whole line): `req.hdr` splits at commas. The
//! answer phase no longer has the request's headers, so what it names back is kept in variables.

use crate::plan::{escape, Plan};
use crate::Part;

/// A regex as one HAProxy argument in single quotes, where nothing is interpreted.
fn sq(text: &str) -> String {
    format!("'{text}'")
}

/// A regex alternation matching one item of `names` exactly.
fn alternation(names: &[String]) -> String {
    names.iter().map(|n| escape(n)).collect::<Vec<_>>().join("|")
}

const PREFLIGHT: &str = "{ var(txn.cors_kind) -m str preflight }";
const ACTUAL: &str = "{ var(txn.cors_kind) -m str actual }";
const NOT_REFUSED: &str = "!{ var(txn.cors_refused) -m bool }";
const REFUSED: &str = "{ var(txn.cors_refused) -m bool }";
const ACRM: &str = "req.fhdr(access-control-request-method)";
const ACRH: &str = "req.fhdr(access-control-request-headers)";

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("# corsair snippet for HAProxy 2.2+: paste into the frontend (mode http), before its\n");
    s.push_str("# use_backend lines. Remove other rules that set Access-Control-* headers.\n");
    s.push_str(&crate::warning_comments("#", plan, &[]));

    s.push_str("# The allowed origin, or unset. Exact origins first, then anchored patterns (case-sensitive).\n");
    if plan.star {
        s.push_str("http-request set-var(txn.cors_origin) str(*) if { req.fhdr(origin) -m found }\n");
    } else {
        if !plan.exact.is_empty() {
            s.push_str(&format!(
                "http-request set-var(txn.cors_origin) req.fhdr(origin) if {{ req.fhdr(origin) -m str {} }}\n",
                plan.exact.join(" ")
            ));
        }
        for (source, re) in &plan.regexes {
            s.push_str(&format!(
                "http-request set-var(txn.cors_origin) req.fhdr(origin) if !{{ var(txn.cors_origin) -m found }} {{ req.fhdr(origin) -m reg {} }}  # {source}\n",
                sq(re)
            ));
        }
        if plan.any_echoed {
            s.push_str("# * (echoed: credentials or other patterns)\n");
            s.push_str("http-request set-var(txn.cors_origin) req.fhdr(origin) if { req.fhdr(origin) -m found }\n");
        }
    }

    s.push_str("# A preflight is OPTIONS with Origin and Access-Control-Request-Method.\n");
    s.push_str(&format!(
        "http-request set-var(txn.cors_kind) str(preflight) if METH_OPTIONS {{ req.fhdr(origin) -m found }} {{ {ACRM} -m found }}\n"
    ));
    s.push_str(
        "http-request set-var(txn.cors_kind) str(actual) if { req.fhdr(origin) -m found } !{ var(txn.cors_kind) -m found }\n",
    );
    s.push_str(&format!("http-request set-var(txn.cors_request_method) {ACRM} if {PREFLIGHT}\n"));
    s.push_str(&format!(
        "http-request set-var(txn.cors_request_headers) {ACRH} if {PREFLIGHT} {{ {ACRH} -m found }}\n"
    ));

    s.push_str("# Refused: an origin not allowed; a preflight's method or a requested header not allowed.\n");
    s.push_str(
        "http-request set-var(txn.cors_refused) bool(1) if { var(txn.cors_kind) -m found } !{ var(txn.cors_origin) -m found }\n",
    );
    if let Some(m) = plan.preflight_methods() {
        s.push_str(&format!(
            "http-request set-var(txn.cors_refused) bool(1) if {PREFLIGHT} !{{ {ACRM} -m str {} }}\n",
            m.join(" ")
        ));
    }
    let has_headers = "{ var(txn.cors_request_headers) -m len 1: }";
    match &plan.headers {
        None if plan.any_header_authorization => {}
        None => s.push_str(&format!(
            "http-request set-var(txn.cors_refused) bool(1) if {PREFLIGHT} {{ var(txn.cors_request_headers) -m reg -i {} }}\n",
            sq("(?:^|,)[ \\t]*authorization[ \\t]*(?:,|$)")
        )),
        Some(list) => {
            let alt = alternation(list);
            s.push_str(&format!(
                "http-request set-var(txn.cors_refused) bool(1) if {PREFLIGHT} {has_headers} !{{ var(txn.cors_request_headers) -m reg -i {} }}\n",
                sq(&format!("^[ \\t]*(?:{alt})(?:[ \\t]*,[ \\t]*(?:{alt}))*[ \\t]*$"))
            ));
        }
    }

    s.push_str("# Preflights are answered here; the backend never sees them.\n");
    s.push_str(&format!("http-request return status {} if {PREFLIGHT} {NOT_REFUSED}\n", plan.preflight_status));
    s.push_str(&format!("http-request return status {} if {PREFLIGHT} {REFUSED}\n", plan.refused_preflight_status));
    if let Some(status) = plan.refused_actual_status {
        s.push_str(&format!("http-request return status {status} if {ACTUAL} {REFUSED}\n"));
    }

    s.push_str("# On every answer, errors and HAProxy's own included.\n");
    let allowed = format!("{{ var(txn.cors_kind) -m found }} {NOT_REFUSED}");
    s.push_str(&format!(
        "http-after-response set-header Access-Control-Allow-Origin %[var(txn.cors_origin)] if {allowed}\n"
    ));
    if plan.credentials {
        s.push_str("# Credentials: only ever next to an origin, never next to *.\n");
        s.push_str(&format!("http-after-response set-header Access-Control-Allow-Credentials true if {allowed}\n"));
    }
    let methods = plan.allow_methods_value.clone().unwrap_or_else(|| "%[var(txn.cors_request_method)]".to_owned());
    s.push_str(&format!(
        "http-after-response set-header Access-Control-Allow-Methods \"{methods}\" if {PREFLIGHT} {NOT_REFUSED}\n"
    ));
    let headers = plan.allow_headers_value.clone().unwrap_or_else(|| "%[var(txn.cors_request_headers)]".to_owned());
    s.push_str(&format!(
        "http-after-response set-header Access-Control-Allow-Headers \"{headers}\" if {PREFLIGHT} {NOT_REFUSED} {has_headers}\n"
    ));
    if let Some(age) = plan.max_age {
        s.push_str(&format!(
            "http-after-response set-header Access-Control-Max-Age {age} if {PREFLIGHT} {NOT_REFUSED}\n"
        ));
    }
    if let Some(expose) = &plan.expose_value {
        s.push_str(&format!(
            "http-after-response set-header Access-Control-Expose-Headers \"{expose}\" if {ACTUAL} {NOT_REFUSED}\n"
        ));
    }
    if !plan.star {
        s.push_str("http-after-response add-header Vary Origin\n");
    }
    s.push_str(&format!(
        "http-after-response add-header Vary \"Access-Control-Request-Method, Access-Control-Request-Headers\" if {PREFLIGHT}\n"
    ));
    (vec![Part { place: "haproxy.cfg, frontend section".to_owned(), text: s }], Vec::new())
}
