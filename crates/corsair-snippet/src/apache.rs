//! Apache httpd 2.4: `SetEnvIf` lines classify the request into environment variables (the
//! allowed origin, preflight or not, method and headers allowed), `Header always` writes the
//! values under those variables on every status, errors included, and `RewriteRule ... [R=...]`
//! answers preflights (and refused requests, if the policy refuses them) before the app runs.
//!
//! `SetEnvIf` rather than `<If>` blocks: a `Header` inside `<If>` or `<Location>` is merged per
//! directory, where an app's own configuration can override it; environment variables set at
//! server level reach every response, including Apache's own error pages.

use crate::plan::{escape, Plan};
use crate::Part;

/// Quotes `text` as one Apache directive argument. Backslashes stay single: Apache keeps `\.`
/// as written, and origins and tokens hold no quote of their own.
fn q(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

/// A regex alternation matching one item of `names` exactly.
fn alternation(names: &[String]) -> String {
    names.iter().map(|n| escape(n)).collect::<Vec<_>>().join("|")
}

/// `-n reqenv('NAME')` for each name: an ap_expr that is true when all are set.
fn all_set(names: &[&str]) -> String {
    names.iter().map(|n| format!("-n reqenv('{n}')")).collect::<Vec<_>>().join(" && ")
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("# corsair snippet for Apache httpd 2.4: paste into the <VirtualHost> (or the server config),\n");
    s.push_str("# not into <Directory>, <Location> or .htaccess. Needs mod_setenvif, mod_headers, mod_rewrite\n");
    s.push_str("# (a2enmod setenvif headers rewrite). Remove other CORS handling (Header lines, the app's own):\n");
    s.push_str("# `Header always` adds to what the app sends, so both would go out. The origins those allowed:\n");
    s.push_str("# add a `SetEnvIf Origin` line each below.\n");
    s.push_str(&crate::warning_comments("#", plan, &[]));

    s.push_str("\n# The allowed origin, or unset. Exact origins first (answered with the listed value), then\n");
    s.push_str("# anchored patterns. SetEnvIf compares case-sensitively.\n");
    if plan.star {
        s.push_str("SetEnvIf Origin \".\" CORS_ORIGIN=*\n");
    } else {
        for o in &plan.exact {
            s.push_str(&format!("SetEnvIf Origin {} CORS_ORIGIN={o}\n", q(&format!("^{}$", escape(o)))));
        }
        for (source, re) in &plan.regexes {
            let inner = re.trim_start_matches('^').trim_end_matches('$');
            s.push_str(&format!("# {source}\nSetEnvIf Origin {} CORS_ORIGIN=$1\n", q(&format!("^({inner})$"))));
        }
        if plan.any_echoed {
            s.push_str("# * (echoed: credentials or other patterns)\nSetEnvIf Origin \"^(.+)$\" CORS_ORIGIN=$1\n");
        }
    }

    s.push_str("\n# A preflight is OPTIONS with Origin and Access-Control-Request-Method.\n");
    s.push_str("SetEnvIfExpr \"%{REQUEST_METHOD} == 'OPTIONS' && -n req('Origin') && -n req('Access-Control-Request-Method')\" CORS_PREFLIGHT=1\n");
    let mut preflight_ok = vec!["CORS_PREFLIGHT", "CORS_ORIGIN"];
    if let Some(m) = plan.preflight_methods() {
        s.push_str("# The requested method is allowed (GET, HEAD and POST always are).\n");
        s.push_str(&format!(
            "SetEnvIf Access-Control-Request-Method {} CORS_METHOD_OK=1\n",
            q(&format!("^(?:{})$", alternation(&m)))
        ));
        preflight_ok.push("CORS_METHOD_OK");
    }
    s.push_str("# Every requested header is allowed (names compared without case).\n");
    match &plan.headers {
        None if plan.any_header_authorization => {}
        None => {
            s.push_str("SetEnvIf Request_Method \".\" CORS_HEADERS_OK=1\n");
            s.push_str("SetEnvIfNoCase Access-Control-Request-Headers \"(?:^|,)[ \\t]*authorization[ \\t]*(?:,|$)\" !CORS_HEADERS_OK\n");
            preflight_ok.push("CORS_HEADERS_OK");
        }
        Some(list) => {
            let alt = alternation(list);
            s.push_str("SetEnvIfExpr \"-z req('Access-Control-Request-Headers')\" CORS_HEADERS_OK=1\n");
            s.push_str(&format!(
                "SetEnvIfNoCase Access-Control-Request-Headers {} CORS_HEADERS_OK=1\n",
                q(&format!("^[ \\t]*(?:{alt})(?:[ \\t]*,[ \\t]*(?:{alt}))*[ \\t]*$"))
            ));
            preflight_ok.push("CORS_HEADERS_OK");
        }
    }

    s.push_str("\n# What to answer: an allowed preflight, a refused one, an allowed actual request, a refused one.\n");
    s.push_str(&format!("SetEnvIfExpr {} CORS_PREFLIGHT_OK=1\n", q(&all_set(&preflight_ok))));
    s.push_str(
        "SetEnvIfExpr \"-n reqenv('CORS_PREFLIGHT') && -z reqenv('CORS_PREFLIGHT_OK')\" CORS_PREFLIGHT_REFUSED=1\n",
    );
    s.push_str("SetEnvIfExpr \"-n req('Origin') && -z reqenv('CORS_PREFLIGHT')\" CORS_ACTUAL=1\n");
    s.push_str(&format!("SetEnvIfExpr {} CORS_ACTUAL_OK=1\n", q(&all_set(&["CORS_ACTUAL", "CORS_ORIGIN"]))));
    s.push_str("SetEnvIfExpr \"-n reqenv('CORS_ACTUAL') && -z reqenv('CORS_ORIGIN')\" CORS_ACTUAL_REFUSED=1\n");
    s.push_str("SetEnvIfExpr \"-n reqenv('CORS_PREFLIGHT_OK') || -n reqenv('CORS_ACTUAL_OK')\" CORS_ALLOWED=1\n");
    s.push_str("SetEnvIfExpr \"-n reqenv('CORS_PREFLIGHT_OK') && -n req('Access-Control-Request-Headers')\" CORS_ALLOW_HEADERS=1\n");
    if plan.allow_methods_value.is_none() {
        s.push_str("SetEnvIf Access-Control-Request-Method \"^(.+)$\" CORS_REQUEST_METHOD=$1\n");
    }
    if plan.allow_headers_value.is_none() {
        s.push_str("SetEnvIf Access-Control-Request-Headers \"^(.+)$\" CORS_REQUEST_HEADERS=$1\n");
    }

    s.push_str("\n# `always`: on 4xx and 5xx answers too, Apache's own error pages included.\n");
    s.push_str("Header always set Access-Control-Allow-Origin \"%{CORS_ORIGIN}e\" env=CORS_ALLOWED\n");
    if plan.credentials {
        s.push_str("# Credentials: only ever next to an origin, never next to *.\n");
        s.push_str("Header always set Access-Control-Allow-Credentials \"true\" env=CORS_ALLOWED\n");
    }
    let methods = plan.allow_methods_value.as_deref().map_or("\"%{CORS_REQUEST_METHOD}e\"".to_owned(), q);
    s.push_str(&format!("Header always set Access-Control-Allow-Methods {methods} env=CORS_PREFLIGHT_OK\n"));
    let headers = plan.allow_headers_value.as_deref().map_or("\"%{CORS_REQUEST_HEADERS}e\"".to_owned(), q);
    s.push_str(&format!("Header always set Access-Control-Allow-Headers {headers} env=CORS_ALLOW_HEADERS\n"));
    if let Some(age) = plan.max_age {
        s.push_str(&format!("Header always set Access-Control-Max-Age \"{age}\" env=CORS_PREFLIGHT_OK\n"));
    }
    if let Some(expose) = &plan.expose_value {
        s.push_str(&format!("Header always set Access-Control-Expose-Headers {} env=CORS_ACTUAL_OK\n", q(expose)));
    }
    if !plan.star {
        s.push_str("Header always merge Vary \"Origin\"\n");
    }
    s.push_str("Header always merge Vary \"Access-Control-Request-Method, Access-Control-Request-Headers\" env=CORS_PREFLIGHT\n");

    s.push_str("\n# Preflights are answered here; the application never sees them.\n");
    s.push_str("RewriteEngine On\n");
    let mut answer = |var: &str, status: u16| {
        s.push_str(&format!("RewriteCond %{{ENV:{var}}} =1\nRewriteRule ^ - [R={status},L]\n"));
    };
    answer("CORS_PREFLIGHT_OK", plan.preflight_status);
    answer("CORS_PREFLIGHT_REFUSED", plan.refused_preflight_status);
    if let Some(status) = plan.refused_actual_status {
        answer("CORS_ACTUAL_REFUSED", status);
    }
    (vec![Part { place: "<VirtualHost> block".to_owned(), text: s }], Vec::new())
}
