//! Fastify: an `onRequest` hook on the root instance that decides with `javascript.rs`'s
//! `corsDecision` (shared with Node `http` and Appwrite), answers preflights itself, and puts the
//! headers on the reply before routing, so 404s and the error handler's 500s carry them too.
//! Not `@fastify/cors`: it answers every preflight from an allowed origin whatever method or
//! headers it asks for, so it cannot refuse one the policy refuses.

use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for Fastify (npm install fastify): save as cors-policy.js and call it on the\n");
    s.push_str("// root instance, before routes (not with register: an encapsulated hook misses other plugins):\n");
    s.push_str("//     require('./cors-policy')(fastify);\n");
    s.push_str("// Remove @fastify/cors and hand-written Access-Control-* headers.\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str("'use strict';\n\n");
    s.push_str(&crate::javascript::decision(plan));
    s.push_str(HOOK);
    (vec![Part { place: "cors-policy.js".to_owned(), text: s }], Vec::new())
}

const HOOK: &str = r#"
module.exports = function corsPolicy(fastify) {
  fastify.addHook('onRequest', async (request, reply) => {
    const h = request.headers; // names in lower case
    const d = corsDecision(request.method, h['origin'], h['access-control-request-method'], h['access-control-request-headers']);
    if (d.vary.length > 0) reply.header('Vary', d.vary.join(', '));
    reply.headers(d.headers);
    if (d.earlyStatus !== null) return reply.code(d.earlyStatus).send();
  });
};
"#;
