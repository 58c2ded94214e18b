//! Express: a middleware that decides first (allow-list, then anchored patterns, then the
//! preflight's method and headers) and hands only allowed requests to the `cors` package, with
//! the checked origin as a fixed value. `cors` alone treats every OPTIONS as an allowed
//! preflight and echoes whatever its origin option lets through.

use crate::javascript::js;
use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for Express (npm install express cors).\n");
    s.push_str("// Mount it first: app.use(require('./cors-policy')), before routes, auth and error handlers,\n");
    s.push_str("// and remove any other CORS middleware (a second one doubles the headers).\n");
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
