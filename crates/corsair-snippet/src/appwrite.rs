//! An Appwrite Function (Node.js runtime): a wrapper around the function's default export that
//! answers preflights first and adds the headers to whatever the function returns through `res`
//! (`text`, `json`, `binary`, `redirect`, `send`, `empty`), and to a 500 when it throws (the
//! runtime's own 500 carries none, so the browser would report CORS instead of the error).
//! Appwrite's own API (databases, storage, accounts) answers CORS from the project's Web
//! platforms in the Console, not from code; this is for a function called over its domain.

use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for an Appwrite Function (Node.js runtime): save as src/cors-policy.js and\n");
    s.push_str("// wrap the default export of the entrypoint:\n");
    s.push_str("//     import { withCors } from './cors-policy.js';\n");
    s.push_str("//     export default withCors(async ({ req, res, log, error }) => { /* as before */ });\n");
    s.push_str("// Remove hand-written Access-Control-* headers from the function's responses.\n");
    s.push_str("// (Appwrite's own APIs take their CORS from the Console's Web platforms, not from this.)\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str(&crate::javascript::decision(plan));
    s.push_str(WRAPPER);
    (vec![Part { place: "src/cors-policy.js".to_owned(), text: s }], Vec::new())
}

const WRAPPER: &str = r#"
export function withCors(handler) {
  return async (context) => {
    const { req, res } = context;
    const h = req.headers || {}; // Appwrite gives header names in lower case
    const d = corsDecision(req.method, h['origin'], h['access-control-request-method'], h['access-control-request-headers']);
    const ours = { ...d.headers };
    if (d.vary.length > 0) ours['Vary'] = d.vary.join(', ');
    const merge = (headers) => ({ ...(headers || {}), ...ours });
    if (d.earlyStatus !== null) return res.text('', d.earlyStatus, merge({}));
    const wrapped = Object.create(res);
    wrapped.text = (body, status = 200, headers = {}) => res.text(body, status, merge(headers));
    wrapped.json = (data, status = 200, headers = {}) => res.json(data, status, merge(headers));
    wrapped.binary = (bytes, status = 200, headers = {}) => res.binary(bytes, status, merge(headers));
    wrapped.redirect = (url, status = 301, headers = {}) => res.redirect(url, status, merge(headers));
    wrapped.send = (body, status = 200, headers = {}) => res.send(body, status, merge(headers));
    wrapped.empty = () => res.text('', 204, merge({}));
    try {
      return await handler({ ...context, res: wrapped });
    } catch (e) {
      if (typeof context.error === 'function') context.error(e && e.stack ? e.stack : String(e));
      return wrapped.text('', 500);
    }
  };
}
"#;
