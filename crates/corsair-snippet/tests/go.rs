//! The Go snippet (`cors.go`, standard library only) compiled with Debian's Go (1.19) into a
//! `net/http` server on a loopback port, driven across the matrix, including a 500 written by
//! `http.Error`. `go vet` must pass, and gofmt must leave the file as it is. No network: the module has no dependencies.

mod common;

use std::path::Path;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const MAIN: &str = r#"package main

import (
	"net/http"
	"os"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Args[1], WithCORS(mux)); err != nil {
		panic(err)
	}
}
"#;

/// `go` in `dir`, offline, with its caches in the temp dir.
fn go(dir: &Path, args: &[&str]) -> std::process::Output {
    let cache = std::env::temp_dir().join("corsair-snippet-go-cache");
    Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOCACHE", cache.join("build"))
        .env("GOPATH", cache.join("path"))
        .env("GOPROXY", "off")
        .env("CGO_ENABLED", "0")
        .output()
        .expect("run go")
}

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    if !Command::new("go").arg("version").output().is_ok_and(|o| o.status.success()) {
        missing("Go (apt-get install golang-go)");
        return None;
    }
    let snippet = render(policy, Stack::Go);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    assert_eq!(snippet.parts[0].place, "cors.go");
    let dir = temp_dir("go");
    std::fs::write(dir.join("go.mod"), "module corsairtest\n\ngo 1.19\n").expect("write go.mod");
    std::fs::write(dir.join("cors.go"), &snippet.parts[0].text).expect("write cors.go");
    std::fs::write(dir.join("main.go"), MAIN).expect("write main.go");
    for args in [&["vet", "."][..], &["build", "-o", "server", "."][..]] {
        let out = go(&dir, args);
        assert!(
            out.status.success(),
            "go {args:?} fails on the snippet: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            snippet.parts[0].text
        );
    }
    // As users will see it after their editor's gofmt: already so.
    let fmt = Command::new("gofmt").arg("-l").arg("cors.go").current_dir(&dir).output().expect("run gofmt");
    assert!(fmt.status.success() && fmt.stdout.is_empty(), "gofmt would change cors.go:\n{}", snippet.parts[0].text);
    let port = free_port();
    let mut cmd = Command::new(dir.join("server"));
    cmd.arg(port.to_string());
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn go_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("go", &policy, port, Leeway::default());
}

#[test]
fn go_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("go (*)", &policy, port, Leeway::default());
}

#[test]
fn go_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("go (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_go_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("go", &chromium, &allowed, &refused, port).await;
}
