//! Cloudflare Workers: a module Worker that answers preflights and adds the headers to what the
//! handler (or the origin behind the route, through `fetch(request)`) returns. The decision is
//! the shared JavaScript one, so it checks what the policy checks. Golden-only: workerd does not
//! run here.

use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::from(
        "// corsair snippet for Cloudflare Workers (golden-only: not run here): src/index.js of a module\n",
    );
    s.push_str("// Worker. `handle` is yours: it forwards to the origin behind the route; put your own handler\n");
    s.push_str("// there. Remove other code that sets Access-Control-* headers.\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str(&crate::javascript::decision(plan));
    s.push_str(WORKER);
    (vec![Part { place: "src/index.js".to_owned(), text: s }], Vec::new())
}

const WORKER: &str = r#"
async function handle(request, env, ctx) {
  return fetch(request);
}

function withCors(response, d) {
  const out = new Response(response.body, response); // a copy whose headers can change
  for (const [name, value] of Object.entries(d.headers)) out.headers.set(name, value);
  for (const name of d.vary) out.headers.append('Vary', name);
  return out;
}

export default {
  async fetch(request, env, ctx) {
    const h = request.headers;
    const d = corsDecision(request.method, h.get('Origin'), h.get('Access-Control-Request-Method'), h.get('Access-Control-Request-Headers'));
    if (d.earlyStatus !== null) return withCors(new Response(null, { status: d.earlyStatus }), d);
    let response;
    try {
      response = await handle(request, env, ctx);
    } catch (e) {
      response = new Response('Internal Server Error', { status: 500 }); // with CORS headers, so the page sees the 500
    }
    return withCors(response, d);
  },
};
"#;
