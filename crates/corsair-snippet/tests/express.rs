//! The Express snippet in real Express 4 with the `cors` package (installed by `.ci/run` into
//! `tests/node/node_modules`), driven across the matrix. Leeway: `cors` sends
//! Access-Control-Allow-Headers on allowed preflights that asked for none.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const SERVER: &str = r#"'use strict';
const express = require('express');
const app = express();
app.use(require('./cors-policy'));
app.all('/', (req, res) => res.send('ok\n'));
app.get('/error', () => { throw new Error('boom'); });
app.listen(Number(process.argv[2]), '127.0.0.1');
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let modules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/node_modules");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node || !modules.join("express").exists() || !modules.join("cors").exists() {
        missing("node with express and cors (cd crates/corsair-snippet/tests/node && npm ci)");
        return None;
    }
    let snippet = render(policy, Stack::Express);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("express");
    std::fs::write(dir.join("cors-policy.js"), &snippet.parts[0].text).expect("write cors-policy.js");
    std::fs::write(dir.join("server.js"), SERVER).expect("write server.js");
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("server.js")).arg(port.to_string()).env("NODE_PATH", &modules).env("NODE_ENV", "production");
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn express_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("express", &policy, port, Leeway { allow_headers_unasked: true });
}

#[test]
fn express_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("express (*)", &policy, port, Leeway { allow_headers_unasked: true });
}

#[test]
fn express_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("express (echo, 403)", &policy, port, Leeway { allow_headers_unasked: true });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_express_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("express", &chromium, &allowed, &refused, port).await;
}
