//! Caddy 2: `map` directives compute the answer from the request (as the nginx snippet's `map`
//! blocks do), named `vars` matchers select on it, and a `route` block sets the headers and
//! answers preflights before the site's own handlers, which go inside it. `route` keeps the
//! written order; at site level Caddy sorts `handle` blocks before `respond`, so a preflight
//! could reach the app. `header` sets response fields before the handlers behind it run, so a
//! 500 from the app (or from `reverse_proxy`) carries them too.

use crate::plan::{escape, Plan};
use crate::Part;

/// A Caddyfile token in backticks: taken verbatim, so a regex's backslashes stay single.
fn raw(text: &str) -> String {
    format!("`{text}`")
}

/// A double-quoted Caddyfile token (header values: tokens and origins, no quote of their own).
fn q(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

/// A regex alternation matching one item of `names` exactly.
fn alternation(names: &[String]) -> String {
    names.iter().map(|n| escape(n)).collect::<Vec<_>>().join("|")
}

/// The line in the route where the site's own handlers go.
const SITE_HANDLERS: &str =
    "    # The site's own handlers go here, after these lines: reverse_proxy, file_server, handle ...";

const ORIGIN: &str = "{http.request.header.Origin}";
const ACRM: &str = "{http.request.header.Access-Control-Request-Method}";
const ACRH: &str = "{http.request.header.Access-Control-Request-Headers}";

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("# corsair snippet for Caddy 2: paste into the site block and move the site's handlers\n");
    s.push_str("# (reverse_proxy, file_server, handle blocks, ...) into the route below, where it says.\n");
    s.push_str("# Remove other header lines that set Access-Control-* (and the app's own, behind reverse_proxy:\n");
    s.push_str("# both would go out); the origins they allowed: add a line each to the first map.\n");
    s.push_str(&crate::warning_comments("#", plan, &[]));

    s.push_str("\n# The allowed origin, or empty. Exact origins first, then anchored patterns (case-sensitive).\n");
    s.push_str(&format!("map {ORIGIN} {{cors_origin}} {{\n    \"\" \"\"\n"));
    if plan.star {
        s.push_str("    `~.` \"*\"\n");
    } else {
        for o in &plan.exact {
            s.push_str(&format!("    {} {}\n", raw(&format!("~^{}$", escape(o))), q(o)));
        }
        // The origin comes back as the regex's capture: map does not expand placeholders in
        // its outputs.
        for (source, re) in &plan.regexes {
            let inner = re.trim_start_matches('^').trim_end_matches('$');
            s.push_str(&format!("    # {source}\n    {} \"${{1}}\"\n", raw(&format!("~^({inner})$"))));
        }
        if plan.any_echoed {
            s.push_str("    # * (echoed: credentials or other patterns)\n    `~^(.+)$` \"${1}\"\n");
        }
    }
    s.push_str("    default \"\"\n}\n");
    s.push_str(&format!("map {ORIGIN} {{cors_has_origin}} {{\n    \"\" 0\n    default 1\n}}\n"));
    s.push_str("map {cors_origin} {cors_origin_ok} {\n    \"\" 0\n    default 1\n}\n");

    s.push_str("\n# A preflight is OPTIONS with Origin and Access-Control-Request-Method.\n");
    s.push_str(&format!("map {ACRM} {{cors_has_request_method}} {{\n    \"\" 0\n    default 1\n}}\n"));
    s.push_str(
        "map \"{http.request.method}|{cors_has_origin}{cors_has_request_method}\" {cors_is_preflight} {\n    `~^OPTIONS\\|11$` 1\n    default 0\n}\n",
    );

    s.push_str("# The requested method is allowed (GET, HEAD and POST always are).\n");
    s.push_str(&format!("map {ACRM} {{cors_method_ok}} {{\n"));
    match plan.preflight_methods() {
        None => s.push_str("    default 1\n"),
        Some(m) => s.push_str(&format!("    {} 1\n    default 0\n", raw(&format!("~^(?:{})$", alternation(&m))))),
    }
    s.push_str("}\n");

    s.push_str("# Every requested header is allowed (names compared without case).\n");
    s.push_str(&format!("map {ACRH} {{cors_headers_ok}} {{\n"));
    match &plan.headers {
        None if plan.any_header_authorization => s.push_str("    default 1\n"),
        None => s.push_str("    `~(?i)(?:^|,)[ \\t]*authorization[ \\t]*(?:,|$)` 0\n    default 1\n"),
        Some(list) => {
            let alt = alternation(list);
            s.push_str("    \"\" 1\n");
            s.push_str(&format!(
                "    {} 1\n    default 0\n",
                raw(&format!("~(?i)^[ \\t]*(?:{alt})(?:[ \\t]*,[ \\t]*(?:{alt}))*[ \\t]*$"))
            ));
        }
    }
    s.push_str("}\n");

    s.push_str("\n# What to answer: an allowed preflight, a refused one, an allowed actual request, a refused one.\n");
    s.push_str("map \"{cors_has_origin}{cors_is_preflight}{cors_origin_ok}{cors_method_ok}{cors_headers_ok}\" {cors_answer} {\n");
    s.push_str("    `~^11111` preflight\n    `~^11` refused-preflight\n    `~^101` actual\n    `~^100` refused-actual\n    default \"\"\n}\n");
    s.push_str("@cors_allowed vars {cors_answer} preflight actual\n");
    s.push_str("@cors_preflight vars {cors_answer} preflight\n");
    s.push_str("@cors_preflight_with_headers {\n    vars {cors_answer} preflight\n    header_regexp Access-Control-Request-Headers .\n}\n");
    s.push_str("@cors_refused_preflight vars {cors_answer} refused-preflight\n");
    s.push_str("@cors_actual vars {cors_answer} actual\n");
    s.push_str("@cors_any_preflight vars {cors_is_preflight} 1\n");
    if plan.refused_actual_status.is_some() {
        s.push_str("@cors_refused_actual vars {cors_answer} refused-actual\n");
    }

    s.push_str("\n# Headers set before the site's handlers run: their answers, errors included, carry them.\n");
    s.push_str("route {\n");
    s.push_str("    header @cors_allowed Access-Control-Allow-Origin {cors_origin}\n");
    if plan.credentials {
        s.push_str("    # Credentials: only ever next to an origin, never next to *.\n");
        s.push_str("    header @cors_allowed Access-Control-Allow-Credentials true\n");
    }
    let methods = plan.allow_methods_value.as_deref().map_or(ACRM.to_owned(), q);
    s.push_str(&format!("    header @cors_preflight Access-Control-Allow-Methods {methods}\n"));
    let headers = plan.allow_headers_value.as_deref().map_or(ACRH.to_owned(), q);
    s.push_str(&format!("    header @cors_preflight_with_headers Access-Control-Allow-Headers {headers}\n"));
    if let Some(age) = plan.max_age {
        s.push_str(&format!("    header @cors_preflight Access-Control-Max-Age {age}\n"));
    }
    if let Some(expose) = &plan.expose_value {
        s.push_str(&format!("    header @cors_actual Access-Control-Expose-Headers {}\n", q(expose)));
    }
    if !plan.star {
        s.push_str("    header +Vary Origin\n");
    }
    s.push_str(
        "    header @cors_any_preflight +Vary \"Access-Control-Request-Method, Access-Control-Request-Headers\"\n",
    );
    s.push_str("    # Preflights are answered here; the app never sees them.\n");
    s.push_str(&format!("    respond @cors_preflight {}\n", plan.preflight_status));
    s.push_str(&format!("    respond @cors_refused_preflight {}\n", plan.refused_preflight_status));
    if let Some(status) = plan.refused_actual_status {
        s.push_str(&format!("    respond @cors_refused_actual {status}\n"));
    }
    s.push_str(SITE_HANDLERS);
    s.push_str("\n}\n");
    (vec![Part { place: "Caddyfile, site block".to_owned(), text: s }], Vec::new())
}
