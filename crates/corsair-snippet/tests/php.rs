//! The PHP snippet (`cors.php`) under PHP's built-in server (`php -S`, Debian's php-cli) with a
//! router that requires it first, driven across the matrix twice for the main policy: once with
//! /error answering `http_response_code(500)`, once with /error throwing an uncaught exception
//! (PHP's own 500, `display_errors` off as in production), whose answer keeps the headers.

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const ROUTER: &str = r#"<?php
require __DIR__ . '/cors.php';

if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) === '/error') {
    if (getenv('CORSAIR_ERROR') === 'throw') {
        throw new RuntimeException('boom');
    }
    http_response_code(500);
    echo "boom\n";
    return;
}
echo "ok\n";
"#;

/// How the app's /error route fails.
#[derive(Clone, Copy)]
enum Error {
    Status,
    Throw,
}

fn serve(policy: &Policy, error: Error) -> Option<(Server, u16)> {
    if !Command::new("php").arg("--version").output().is_ok_and(|o| o.status.success()) {
        missing("PHP (apt-get install php-cli)");
        return None;
    }
    let snippet = render(policy, Stack::Php);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    assert_eq!(snippet.parts[0].place, "cors.php");
    let dir = temp_dir("php");
    std::fs::write(dir.join("cors.php"), &snippet.parts[0].text).expect("write cors.php");
    std::fs::write(dir.join("router.php"), ROUTER).expect("write router.php");
    let lint = Command::new("php").arg("-l").arg(dir.join("cors.php")).output().expect("php -l");
    assert!(lint.status.success(), "php -l refuses the snippet: {}", String::from_utf8_lossy(&lint.stdout));
    let port = free_port();
    let mut cmd = Command::new("php");
    cmd.args(["-n", "-d", "display_errors=0", "-d", "log_errors=1", "-S"])
        .arg(format!("127.0.0.1:{port}"))
        .arg(dir.join("router.php"))
        .current_dir(&dir)
        .env("CORSAIR_ERROR", if matches!(error, Error::Throw) { "throw" } else { "status" });
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn php_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy, Error::Status) else { return };
    run_matrix("php", &policy, port, Leeway::default());
}

#[test]
fn php_snippet_agrees_with_decide_when_the_app_throws() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy, Error::Throw) else { return };
    run_matrix("php (uncaught exception)", &policy, port, Leeway::default());
}

#[test]
fn php_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy, Error::Status) else { return };
    run_matrix("php (*)", &policy, port, Leeway::default());
}

#[test]
fn php_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy, Error::Status) else { return };
    run_matrix("php (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_php_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy, Error::Status) else { return };
    common::browser::judge("php", &chromium, &allowed, &refused, port).await;
}
