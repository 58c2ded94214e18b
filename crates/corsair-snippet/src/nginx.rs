//! nginx: `map` blocks compute every header value from the request (in the `http` block), and
//! `add_header ... always` sends them on every status, errors included (in the `server` block).
//!
//! Values are variables rather than `add_header` inside `if`: `add_header` in an `if` or a
//! `location` silently drops the ones inherited from the level above.

use crate::plan::{escape, Plan};
use crate::Part;

/// Quotes `text` for nginx's configuration syntax. Backslashes stay single: nginx keeps `\.`
/// as written, and origins and tokens hold no backslash of their own.
fn q(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

/// A regex alternation matching one item of `names` exactly.
fn alternation(names: &[String]) -> String {
    names.iter().map(|n| escape(n)).collect::<Vec<_>>().join("|")
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut h = String::new();
    h.push_str("# corsair snippet for nginx: paste into the http {} block (maps must be at http level), once:\n");
    h.push_str("# a second copy is an error (duplicate map); to allow more origins, add lines to $cors_origin.\n");
    h.push_str(&crate::warning_comments("#", plan, &[]));
    h.push_str("map $http_origin $cors_has_origin {\n    default 1;\n    \"\" 0;\n}\n\n");

    // The allow-list: exact origins first (answered with the listed value, never the request's),
    // then anchored patterns. Case-sensitive regexes: map's plain strings ignore case.
    h.push_str("# The allowed origin, or empty. Exact origins first, then anchored patterns.\n");
    h.push_str("map $http_origin $cors_origin {\n    default \"\";\n    \"\" \"\";\n");
    if plan.star {
        h.push_str("    \"~.\" \"*\";\n");
    } else {
        for o in &plan.exact {
            h.push_str(&format!("    {} {};\n", q(&format!("~^{}$", escape(o))), q(o)));
        }
        for (source, re) in &plan.regexes {
            h.push_str(&format!("    {} $http_origin;  # {source}\n", q(&format!("~{re}"))));
        }
        if plan.any_echoed {
            h.push_str("    \"~.\" $http_origin;  # * (echoed: credentials or other patterns)\n");
        }
    }
    h.push_str("}\n\n");

    h.push_str("# A preflight is OPTIONS with Origin and Access-Control-Request-Method.\n");
    h.push_str("map \"$request_method|$cors_has_origin|$http_access_control_request_method\" $cors_is_preflight {\n    default 0;\n    \"~^OPTIONS\\|1\\|.\" 1;\n}\n\n");

    h.push_str("# The requested method is allowed (GET, HEAD and POST always are).\n");
    h.push_str("map $http_access_control_request_method $cors_method_ok {\n");
    match plan.preflight_methods() {
        None => h.push_str("    default 1;\n"),
        Some(m) => {
            h.push_str("    default 0;\n");
            h.push_str(&format!("    {} 1;\n", q(&format!("~^(?:{})$", alternation(&m)))));
        }
    }
    h.push_str("}\n\n");

    h.push_str("# Every requested header is allowed (names compared without case).\n");
    h.push_str("map $http_access_control_request_headers $cors_headers_ok {\n");
    match &plan.headers {
        None if plan.any_header_authorization => h.push_str("    default 1;\n"),
        None => {
            h.push_str("    default 1;\n    \"~*(?:^|,)[ \\t]*authorization[ \\t]*(?:,|$)\" 0;\n");
        }
        Some(list) => {
            let alt = alternation(list);
            h.push_str("    default 0;\n    \"\" 1;\n");
            h.push_str(&format!(
                "    {} 1;\n",
                q(&format!("~*^[ \\t]*(?:{alt})(?:[ \\t]*,[ \\t]*(?:{alt}))*[ \\t]*$"))
            ));
        }
    }
    h.push_str("}\n\n");

    h.push_str("map $cors_origin $cors_origin_ok {\n    default 1;\n    \"\" 0;\n}\n\n");
    h.push_str("# What to answer: an allowed preflight, a refused one, an allowed actual request, a refused one.\n");
    h.push_str(
        "map \"$cors_has_origin$cors_is_preflight$cors_origin_ok$cors_method_ok$cors_headers_ok\" $cors_answer {\n",
    );
    h.push_str("    default \"\";\n    \"~^11111\" preflight;\n    \"~^11\" refused-preflight;\n    \"~^101\" actual;\n    \"~^100\" refused-actual;\n}\n\n");

    let granted = |name: &str, preflight: Option<String>, actual: Option<String>| {
        let mut s = format!("map $cors_answer {name} {{\n    default \"\";\n");
        if let Some(v) = preflight {
            s.push_str(&format!("    preflight {v};\n"));
        }
        if let Some(v) = actual {
            s.push_str(&format!("    actual {v};\n"));
        }
        s.push_str("}\n\n");
        s
    };
    h.push_str(&granted("$cors_allow_origin", Some("$cors_origin".into()), Some("$cors_origin".into())));
    if plan.credentials {
        h.push_str("# Credentials: only ever next to an origin, never next to *.\n");
        h.push_str(&granted("$cors_allow_credentials", Some("true".into()), Some("true".into())));
    }
    let methods = plan.allow_methods_value.as_deref().map_or("$http_access_control_request_method".to_owned(), q);
    h.push_str(&granted("$cors_allow_methods", Some(methods), None));
    // Allow-Headers only when the preflight asked for some.
    let headers = plan.allow_headers_value.as_deref().map_or("$http_access_control_request_headers".to_owned(), q);
    h.push_str(&format!(
        "map \"$cors_answer|$http_access_control_request_headers\" $cors_allow_headers {{\n    default \"\";\n    \"~^preflight\\|.\" {headers};\n}}\n\n"
    ));
    if let Some(age) = plan.max_age {
        h.push_str(&granted("$cors_max_age", Some(q(&age.to_string())), None));
    }
    if let Some(expose) = &plan.expose_value {
        h.push_str(&granted("$cors_expose_headers", None, Some(q(expose))));
    }
    let origin_vary = if plan.star { "" } else { "Origin, " };
    h.push_str(&format!(
        "map $cors_is_preflight $cors_vary {{\n    default {};\n    1 \"{origin_vary}Access-Control-Request-Method, Access-Control-Request-Headers\";\n}}\n",
        if plan.star { "\"\"".to_owned() } else { q("Origin") }
    ));

    let mut s = String::new();
    s.push_str("# corsair snippet for nginx: paste into the server {} block, or into the location {} that serves\n");
    s.push_str("# the API (valid in both). A location with add_header lines of its own inherits none of the\n");
    s.push_str("# server's: paste these into that location. Remove the add_header Access-Control-* lines and the\n");
    s.push_str("# `if ($request_method = OPTIONS)` blocks these replace; the origins they allowed: add a line each\n");
    s.push_str("# to the $cors_origin map. If the app behind proxy_pass sends CORS headers itself, fix it there\n");
    s.push_str("# instead (both would send them, and browsers refuse two values).\n");
    s.push_str("# `always` sends them on 4xx and 5xx answers too; empty values are not sent.\n");
    s.push_str("add_header Access-Control-Allow-Origin $cors_allow_origin always;\n");
    if plan.credentials {
        s.push_str("add_header Access-Control-Allow-Credentials $cors_allow_credentials always;\n");
    }
    s.push_str("add_header Access-Control-Allow-Methods $cors_allow_methods always;\n");
    s.push_str("add_header Access-Control-Allow-Headers $cors_allow_headers always;\n");
    if plan.max_age.is_some() {
        s.push_str("add_header Access-Control-Max-Age $cors_max_age always;\n");
    }
    if plan.expose_value.is_some() {
        s.push_str("add_header Access-Control-Expose-Headers $cors_expose_headers always;\n");
    }
    s.push_str("add_header Vary $cors_vary always;\n");
    s.push_str("# Preflights are answered here; the application never sees them.\n");
    s.push_str(&format!("if ($cors_answer = preflight) {{\n    return {};\n}}\n", plan.preflight_status));
    s.push_str(&format!(
        "if ($cors_answer = refused-preflight) {{\n    return {};\n}}\n",
        plan.refused_preflight_status
    ));
    if let Some(status) = plan.refused_actual_status {
        s.push_str(&format!("if ($cors_answer = refused-actual) {{\n    return {status};\n}}\n"));
    }
    let parts = vec![
        Part { place: "nginx.conf, http {} block".to_owned(), text: h },
        Part { place: "nginx.conf, server {} block".to_owned(), text: s },
    ];
    (parts, Vec::new())
}
