//! The HAProxy snippet in Debian's haproxy (2.6), run in the foreground on a loopback port in
//! front of a backend (a second HAProxy proxy that answers 200, and 500 on /error), driven
//! across the matrix: the backend's 500 carries the headers through `http-after-response`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let bin = "/usr/sbin/haproxy";
    if !Path::new(bin).exists() {
        missing("HAProxy (apt-get install haproxy)");
        return None;
    }
    let snippet = render(policy, Stack::Haproxy);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("haproxy");
    let (port, app) = (free_port(), free_port());
    let conf = format!(
        "global\n  maxconn 64\n\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\nfrontend web\n  bind 127.0.0.1:{port}\n{}\n  default_backend app\n\nbackend app\n  server app1 127.0.0.1:{app}\n\nlisten app_server\n  bind 127.0.0.1:{app}\n  http-request return status 500 content-type text/plain string boom if {{ path /error }}\n  http-request return status 200 content-type text/plain string ok\n",
        snippet.parts[0].text
    );
    let conf_path = dir.join("haproxy.cfg");
    std::fs::write(&conf_path, &conf).expect("write haproxy.cfg");
    let check = Command::new(bin).arg("-c").arg("-f").arg(&conf_path).output().expect("haproxy -c");
    assert!(
        check.status.success(),
        "haproxy -c refuses the snippet: {}{}\n{conf}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let mut cmd = Command::new(bin);
    cmd.arg("-db").arg("-f").arg(&conf_path);
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn haproxy_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("haproxy", &policy, port, Leeway::default());
}

#[test]
fn haproxy_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("haproxy (*)", &policy, port, Leeway::default());
}

#[test]
fn haproxy_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("haproxy (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_haproxy_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("haproxy", &chromium, &allowed, &refused, port).await;
}
