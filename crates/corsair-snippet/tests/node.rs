//! The Node `http` snippet in Node with no packages, driven across the matrix; /error throws,
//! so the 500 is the wrapper's answer to a throwing handler (Node alone would crash).

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const SERVER: &str = r#"'use strict';
const http = require('node:http');
const { withCors } = require('./cors-policy');

http.createServer(withCors((req, res) => {
  if (req.url === '/error') throw new Error('boom');
  res.end('ok\n');
})).listen(Number(process.argv[2]), '127.0.0.1');
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    if !Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        missing("node (apt-get install nodejs)");
        return None;
    }
    let snippet = render(policy, Stack::Node);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    assert_eq!(snippet.parts[0].place, "cors-policy.js");
    let dir = temp_dir("node");
    std::fs::write(dir.join("cors-policy.js"), &snippet.parts[0].text).expect("write cors-policy.js");
    std::fs::write(dir.join("server.js"), SERVER).expect("write server.js");
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("server.js")).arg(port.to_string());
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn node_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("node", &policy, port, Leeway::default());
}

#[test]
fn node_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("node (*)", &policy, port, Leeway::default());
}

#[test]
fn node_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("node (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_node_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("node", &chromium, &allowed, &refused, port).await;
}
