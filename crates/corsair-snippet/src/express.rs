//! Express: a middleware that decides first (allow-list, then anchored patterns, then the
//! preflight's method and headers) and hands only allowed requests to the `cors` package, with
//! the checked origin as a fixed value. `cors` alone treats every OPTIONS as an allowed
//! preflight and echoes whatever its origin option lets through.

use crate::plan::Plan;
use crate::Part;

/// A JavaScript string literal.
fn js(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn js_list(items: &[String]) -> String {
    items.iter().map(|s| js(s)).collect::<Vec<_>>().join(", ")
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for Express (npm install express cors).\n");
    s.push_str("// Mount it first: app.use(require('./cors-policy')), before routes, auth and error handlers,\n");
    s.push_str("// and remove any other CORS middleware (a second one doubles the headers).\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str("'use strict';\nconst cors = require('cors');\n\n");
    s.push_str("// Exact origins, compared byte for byte before any pattern.\n");
    s.push_str(&format!("const ALLOWED_ORIGINS = new Set([{}]);\n", js_list(&plan.exact)));
    s.push_str("// Patterns, anchored, dots escaped.\n");
    let regexes: Vec<String> =
        plan.regexes.iter().map(|(src, re)| format!("\n  new RegExp({}), // {src}", js(re))).collect();
    s.push_str(&format!(
        "const ALLOWED_ORIGIN_PATTERNS = [{}{}];\n",
        regexes.concat(),
        if regexes.is_empty() { "" } else { "\n" }
    ));
    s.push_str(&format!("const ANY_ORIGIN = {};\n", plan.star || plan.any_echoed));
    match plan.preflight_methods() {
        Some(m) => s.push_str(&format!("const PREFLIGHT_METHODS = new Set([{}]);\n", js_list(&m))),
        None => s.push_str("const PREFLIGHT_METHODS = null; // any method\n"),
    }
    match &plan.headers {
        Some(h) => s.push_str(&format!("const PREFLIGHT_HEADERS = new Set([{}]);\n", js_list(h))),
        None => s.push_str("const PREFLIGHT_HEADERS = null; // any header\n"),
    }
    s.push_str(&format!(
        "const ANY_HEADER_COVERS_AUTHORIZATION = {};\n\n",
        plan.headers.is_none() && plan.any_header_authorization
    ));
    s.push_str(
        "function originAllowed(origin) {\n  return ALLOWED_ORIGINS.has(origin) || ANY_ORIGIN || ALLOWED_ORIGIN_PATTERNS.some((re) => re.test(origin));\n}\n\n",
    );
    s.push_str("function preflightAllowed(req) {\n");
    s.push_str("  const method = req.get('Access-Control-Request-Method');\n");
    s.push_str("  if (PREFLIGHT_METHODS && !PREFLIGHT_METHODS.has(method)) return false;\n");
    s.push_str("  const names = (req.get('Access-Control-Request-Headers') || '')\n");
    s.push_str("    .split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');\n");
    s.push_str("  return names.every((n) => PREFLIGHT_HEADERS\n");
    s.push_str("    ? PREFLIGHT_HEADERS.has(n)\n");
    s.push_str("    : n !== 'authorization' || ANY_HEADER_COVERS_AUTHORIZATION);\n}\n\n");

    s.push_str("module.exports = function corsPolicy(req, res, next) {\n");
    let vary = if plan.star { "" } else { "  res.vary('Origin');\n" };
    s.push_str(vary);
    s.push_str("  const origin = req.get('Origin');\n");
    s.push_str("  if (origin === undefined) return next();\n");
    s.push_str(
        "  const preflight = req.method === 'OPTIONS' && req.get('Access-Control-Request-Method') !== undefined;\n",
    );
    s.push_str("  if (preflight) res.vary('Access-Control-Request-Method').vary('Access-Control-Request-Headers');\n");
    s.push_str("  const allowed = originAllowed(origin) && (!preflight || preflightAllowed(req));\n");
    s.push_str(&format!("  if (!allowed && preflight) return res.status({}).end();\n", plan.refused_preflight_status));
    match plan.refused_actual_status {
        Some(status) => s.push_str(&format!("  if (!allowed) return res.status({status}).end();\n")),
        None => s.push_str("  if (!allowed) return next(); // no CORS headers: the browser blocks the read\n"),
    }
    if !preflight_only_lists(plan) {
        s.push_str("  // Methods or headers are `*` with credentials: name the requested ones back.\n");
    }
    s.push_str("  return cors({\n");
    let origin = if plan.star { js("*") } else { "origin".to_owned() };
    s.push_str(&format!("    origin: {origin}, // checked above; never a blind reflection\n"));
    s.push_str(&format!("    credentials: {},\n", plan.credentials));
    match &plan.allow_methods_value {
        Some(v) => s.push_str(&format!("    methods: {},\n", js(v))),
        None => s.push_str("    methods: req.get('Access-Control-Request-Method'),\n"),
    }
    match &plan.allow_headers_value {
        Some(v) => s.push_str(&format!("    allowedHeaders: {},\n", js(v))),
        None => s.push_str("    allowedHeaders: req.get('Access-Control-Request-Headers') || '',\n"),
    }
    if let Some(e) = &plan.expose_value {
        // Only on actual requests: `cors` would also send it on preflights, where it means nothing.
        s.push_str(&format!("    exposedHeaders: preflight ? undefined : {},\n", js(e)));
    }
    if let Some(age) = plan.max_age {
        s.push_str(&format!("    maxAge: {age},\n"));
    }
    s.push_str(&format!("    optionsSuccessStatus: {},\n", plan.preflight_status));
    s.push_str("  })(req, res, next);\n};\n");
    (vec![Part { place: "cors-policy.js".to_owned(), text: s }], Vec::new())
}

/// True if methods and headers are lists (or `*` without credentials): fixed values suffice.
fn preflight_only_lists(plan: &Plan) -> bool {
    plan.allow_methods_value.is_some() && plan.allow_headers_value.is_some()
}
