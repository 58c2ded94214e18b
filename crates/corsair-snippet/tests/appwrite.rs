//! The Appwrite Function snippet in Node 20, under a harness that calls the function as
//! Appwrite's Node.js runtime does (`export default async ({ req, res, log, error })`, header
//! names in lower case, `res.text/json/binary/redirect/send/empty(body, status, headers)`, and a
//! bare 500 of the runtime's own when the function throws), driven across the matrix. Appwrite
//! itself does not install here; the harness holds only the calling convention its docs give.

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

/// The runtime's side: an HTTP server that turns each request into Appwrite's `context` and the
/// function's return value into the answer.
const RUNTIME: &str = r#"import http from 'node:http';
import fn from './src/main.js';

const out = (body, statusCode, headers) => ({ body, statusCode, headers });
const res = {
  text: (body, statusCode = 200, headers = {}) => out(String(body), statusCode, headers),
  json: (data, statusCode = 200, headers = {}) =>
    out(JSON.stringify(data), statusCode, { 'content-type': 'application/json', ...headers }),
  binary: (bytes, statusCode = 200, headers = {}) => out(bytes, statusCode, headers),
  redirect: (url, statusCode = 301, headers = {}) => out('', statusCode, { ...headers, location: url }),
  send: (body, statusCode = 200, headers = {}) => out(body, statusCode, headers),
  empty: () => out('', 204, {}),
};

http.createServer(async (request, response) => {
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const url = new URL(request.url, 'http://' + request.headers.host);
  const req = {
    method: request.method, headers, path: url.pathname, url: url.href,
    query: Object.fromEntries(url.searchParams), queryString: url.search.slice(1), bodyText: '', body: '',
  };
  let r;
  try {
    r = await fn({ req, res, log: () => {}, error: () => {} });
  } catch (e) {
    r = out('', 500, {}); // the runtime's own answer to a function that throws
  }
  response.writeHead(r.statusCode, r.headers);
  response.end(r.body);
}).listen(Number(process.argv[2]), '127.0.0.1');
"#;

/// A function as users write one, wrapped as the snippet's comment says.
const FUNCTION: &str = r#"import { withCors } from './cors-policy.js';

export default withCors(async ({ req, res }) => {
  if (req.path === '/error') throw new Error('boom');
  if (req.method === 'POST') return res.json({ ok: true });
  return res.text('ok\n');
});
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node {
        missing("node (apt-get install nodejs)");
        return None;
    }
    let snippet = render(policy, Stack::Appwrite);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    assert_eq!(snippet.parts[0].place, "src/cors-policy.js");
    let dir = temp_dir("appwrite");
    std::fs::create_dir_all(dir.join("src")).expect("create src");
    std::fs::write(dir.join("package.json"), r#"{ "type": "module" }"#).expect("write package.json");
    std::fs::write(dir.join("src/cors-policy.js"), &snippet.parts[0].text).expect("write cors-policy.js");
    std::fs::write(dir.join("src/main.js"), FUNCTION).expect("write main.js");
    std::fs::write(dir.join("runtime.js"), RUNTIME).expect("write runtime.js");
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("runtime.js")).arg(port.to_string()).current_dir(&dir);
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn appwrite_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("appwrite", &policy, port, Leeway::default());
}

#[test]
fn appwrite_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("appwrite (*)", &policy, port, Leeway::default());
}

#[test]
fn appwrite_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("appwrite (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_appwrite_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("appwrite", &chromium, &allowed, &refused, port).await;
}
