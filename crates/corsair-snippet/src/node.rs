//! Node's `http` module, no packages: `withCors(handler)` around the request listener. The
//! decision is `javascript.rs`'s, shared with the Appwrite Function; the headers go on `res`
//! before the handler runs, so any status it sets carries them, and a handler that throws (or
//! whose promise rejects) gets a 500 with them instead of crashing the process.

use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for Node's http module (no packages): save as cors-policy.js, then wrap\n");
    s.push_str("// the request listener:\n");
    s.push_str("//     const { withCors } = require('./cors-policy');\n");
    s.push_str("//     http.createServer(withCors((req, res) => { /* as before */ })).listen(port);\n");
    s.push_str("// Remove hand-written Access-Control-* headers. To add to Vary, use res.appendHeader('Vary', ...)\n");
    s.push_str("// (Node 18.3+): res.setHeader('Vary', ...) replaces the Origin this sets.\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str("'use strict';\n\n");
    s.push_str(&crate::javascript::decision(plan));
    s.push_str(WRAPPER);
    (vec![Part { place: "cors-policy.js".to_owned(), text: s }], Vec::new())
}

const WRAPPER: &str = r#"
function failed(res, e) {
  console.error(e);
  if (res.headersSent) return res.destroy();
  res.statusCode = 500; // the CORS headers set above stay: the browser shows the 500, not a CORS error
  res.end();
}

function withCors(handler) {
  return (req, res) => {
    const h = req.headers; // names in lower case
    const d = corsDecision(req.method, h['origin'], h['access-control-request-method'], h['access-control-request-headers']);
    if (d.vary.length > 0) res.setHeader('Vary', d.vary.join(', '));
    for (const [name, value] of Object.entries(d.headers)) res.setHeader(name, value);
    if (d.earlyStatus !== null) {
      res.statusCode = d.earlyStatus;
      return res.end();
    }
    try {
      const result = handler(req, res);
      if (result && typeof result.catch === 'function') result.catch((e) => failed(res, e));
    } catch (e) {
      failed(res, e);
    }
  };
}

module.exports = { withCors };
"#;
