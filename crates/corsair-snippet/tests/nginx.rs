//! The nginx snippet in Debian's nginx, driven across the matrix: every answer's CORS headers
//! equal `Policy::decide`'s. nginx sends Allow-Methods and Allow-Headers exactly as decide does
//! (the full lists), so no leeway is needed.

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

fn nginx_binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| std::path::Path::new(p).exists())
}

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let Some(bin) = nginx_binary() else {
        missing("nginx (apt-get install nginx)");
        return None;
    };
    let snippet = render(policy, Stack::Nginx);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("nginx");
    let port = free_port();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nworker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n{}\n  server {{\n    listen 127.0.0.1:{port};\n{}\n    location / {{ return 200 \"ok\\n\"; }}\n    location = /error {{ return 500; }}\n  }}\n}}\n",
        snippet.parts[0].text, snippet.parts[1].text
    );
    std::fs::write(dir.join("nginx.conf"), &conf).expect("write nginx.conf");
    let test = Command::new(bin)
        .arg("-t")
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .output()
        .expect("nginx -t");
    assert!(test.status.success(), "nginx -t refuses the snippet: {}\n{conf}", String::from_utf8_lossy(&test.stderr));
    let mut cmd = Command::new(bin);
    cmd.arg("-p").arg(&dir).arg("-c").arg(dir.join("nginx.conf"));
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn nginx_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("nginx", &policy, port, Leeway::default());
}

#[test]
fn nginx_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("nginx (*)", &policy, port, Leeway::default());
}

#[test]
fn nginx_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("nginx (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_nginx_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("nginx", &chromium, &allowed, &refused, port).await;
}
