//! The Fastify snippet in real Fastify 5 (npm, installed by `.ci/run` into
//! `tests/node/node_modules`), driven across the matrix; /error throws, so the 500 comes from
//! Fastify's own error handler.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const SERVER: &str = r#"'use strict';
const fastify = require('fastify')();
require('./cors-policy')(fastify);
fastify.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], url: '/', handler: async () => 'ok\n' });
fastify.get('/error', async () => { throw new Error('boom'); });
fastify.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let modules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/node_modules");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node || !modules.join("fastify").exists() {
        missing("node with fastify (cd crates/corsair-snippet/tests/node && npm ci)");
        return None;
    }
    let snippet = render(policy, Stack::Fastify);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("fastify");
    std::fs::write(dir.join("cors-policy.js"), &snippet.parts[0].text).expect("write cors-policy.js");
    std::fs::write(dir.join("server.js"), SERVER).expect("write server.js");
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("server.js")).arg(port.to_string()).env("NODE_PATH", &modules).env("NODE_ENV", "production");
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn fastify_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("fastify", &policy, port, Leeway::default());
}

#[test]
fn fastify_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("fastify (*)", &policy, port, Leeway::default());
}

#[test]
fn fastify_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("fastify (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_fastify_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("fastify", &chromium, &allowed, &refused, port).await;
}
