//! Express: a middleware that decides first (allow-list, then anchored patterns, then the
//! preflight's method and headers) and hands only allowed requests to the `cors` package, with
//! the checked origin as a fixed value. `cors` alone treats every OPTIONS as an allowed
//! preflight and echoes whatever its origin option lets through.

use crate::javascript::js;
use crate::plan::Plan;
use crate::{Addition, Part};

/// Lines that add to the options of the `cors()` the app mounts: `[].concat` keeps a string, a
/// RegExp or a list of them, and methods and headers are extended, never replaced, so the other
/// routes and origins keep working.
pub(crate) fn amend(a: &Addition) -> Vec<Part> {
    let mut s = String::new();
    s.push_str("// corsair fix for Express + cors: add to the cors() the app already mounts; keep what it allows.\n");
    s.push_str("// If its options are written inline, name them first:\n");
    s.push_str("//     const corsOptions = { ...the options you have... };\n//     app.use(cors(corsOptions));\n");
    s.push_str("// Paste these lines after `const corsOptions = ...`, before app.use(cors(corsOptions)).\n");
    s.push_str("// Keep one CORS middleware: remove any other that sets Access-Control-* headers (res.header,\n");
    s.push_str("// res.set, res.setHeader, a second cors()): two of them send each header twice, and browsers\n");
    s.push_str("// refuse two values.\n");
    if let Some(status) = a.outside_layer {
        s.push_str(&format!(
            "// The {status} came from something that runs before cors(): mount app.use(cors(corsOptions))\n"
        ));
        s.push_str("// first, before body parsers, authentication and routes, and keep error handlers after it.\n");
    }
    if let Some(origin) = &a.origin {
        s.push_str("// The page's origin next to those listed today. If `origin` is a function, add the check\n");
        s.push_str("// inside it instead; if it was unset or '*', cors answered `*`, which credentials cannot use.\n");
        s.push_str(&format!("corsOptions.origin = [].concat(corsOptions.origin ?? [], {});\n", js(origin)));
    }
    if a.credentials {
        s.push_str("corsOptions.credentials = true;\n");
    }
    if let Some(method) = &a.method {
        s.push_str("// The methods allowed today (cors's default when unset) and this one.\n");
        s.push_str(&format!(
            "corsOptions.methods = [...new Set([...String(corsOptions.methods ?? 'GET,HEAD,PUT,PATCH,POST,DELETE').split(','), {}])];\n",
            js(method)
        ));
    }
    if !a.headers.is_empty() {
        let names: Vec<String> = a.headers.iter().map(|h| js(h)).collect();
        s.push_str("// Unset, cors allows whatever a preflight asks; a list of yours needs these added.\n");
        s.push_str(&format!(
            "if (corsOptions.allowedHeaders !== undefined) corsOptions.allowedHeaders = [...String(corsOptions.allowedHeaders).split(','), {}];\n",
            names.join(", ")
        ));
    }
    vec![Part { place: "the file that calls app.use(cors(corsOptions))".to_owned(), text: s }]
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for Express (npm install express cors).\n");
    s.push_str("// Mount it first: app.use(require('./cors-policy')), before routes, auth and error handlers,\n");
    s.push_str("// and remove any other CORS middleware: cors(), or hand-written res.header('Access-Control-...')\n");
    s.push_str("// lines (a second one doubles the headers). Their origins: add them to ALLOWED_ORIGINS below.\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str("'use strict';\nconst cors = require('cors');\n\n");
    s.push_str(&crate::javascript::checks(plan));
    s.push('\n');
    s.push_str("module.exports = function corsPolicy(req, res, next) {\n");
    let vary = if plan.star { "" } else { "  res.vary('Origin');\n" };
    s.push_str(vary);
    s.push_str("  const origin = req.get('Origin');\n");
    s.push_str("  if (origin === undefined) return next();\n");
    s.push_str(
        "  const preflight = req.method === 'OPTIONS' && req.get('Access-Control-Request-Method') !== undefined;\n",
    );
    s.push_str("  if (preflight) res.vary('Access-Control-Request-Method').vary('Access-Control-Request-Headers');\n");
    s.push_str("  const allowed = originAllowed(origin)\n");
    s.push_str("    && (!preflight || preflightAllowed(req.get('Access-Control-Request-Method'), req.get('Access-Control-Request-Headers')));\n");
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
