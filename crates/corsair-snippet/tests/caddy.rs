//! The Caddy snippet in Debian's caddy (2.6), run with a Caddyfile on a loopback port (no admin
//! endpoint, no automatic HTTPS), driven across the matrix. The site's handlers (`respond`,
//! a 500 on /error) sit inside the snippet's route, where its comment says they go.

mod common;

use std::path::Path;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const HANDLERS_LINE: &str = "    # The site's own handlers go here";

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let bin = "/usr/bin/caddy";
    if !Path::new(bin).exists() {
        missing("Caddy (apt-get install caddy)");
        return None;
    }
    let snippet = render(policy, Stack::Caddy);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let text = &snippet.parts[0].text;
    let line = text.lines().find(|l| l.starts_with(HANDLERS_LINE)).expect("the snippet says where handlers go");
    let site = text.replace(line, "    respond /error 500\n    respond \"ok\" 200");
    let dir = temp_dir("caddy");
    let port = free_port();
    let conf = format!("{{\n  admin off\n  auto_https off\n}}\n\nhttp://127.0.0.1:{port} {{\n{site}}}\n");
    let conf_path = dir.join("Caddyfile");
    std::fs::write(&conf_path, &conf).expect("write the Caddyfile");
    // Caddy keeps state under XDG_DATA_HOME and XDG_CONFIG_HOME: keep it in the temp dir.
    let mut cmd = Command::new(bin);
    cmd.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&conf_path)
        .env("HOME", &dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"));
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn caddy_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("caddy", &policy, port, Leeway::default());
}

#[test]
fn caddy_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("caddy (*)", &policy, port, Leeway::default());
}

#[test]
fn caddy_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("caddy (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_caddy_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("caddy", &chromium, &allowed, &refused, port).await;
}
