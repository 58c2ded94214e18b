//! `corsair snippet` as users run it: the stacks it lists, the snippet it prints, the exit
//! statuses. What the snippets do in real servers is `corsair-snippet`'s tests.

use std::process::{Command, Output};

fn corsair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corsair")).args(args).output().expect("run corsair")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn list_names_every_stack() {
    let out = corsair(&["snippet", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for stack in [
        "nginx",
        "express",
        "flask",
        "django",
        "starlette",
        "appwrite",
        "axum",
        "apache",
        "caddy",
        "go",
        "php",
        "node",
        "fastify",
        "cloudflare-workers",
        "s3",
        "api-gateway",
        "spring",
        "aspnet",
        "laravel",
        "ingress-nginx",
        "traefik",
    ] {
        assert!(stdout.lines().any(|l| l.starts_with(stack)), "{stack} missing from {stdout}");
    }
    for golden in ["s3", "traefik"] {
        let line = stdout.lines().find(|l| l.starts_with(golden)).unwrap();
        assert!(line.contains("golden-only (not run here)"), "{line}");
    }
}

#[test]
fn flags_make_the_policy_and_the_snippet_is_printed() {
    let out = corsair(&["snippet", "--for", "nginx", "--allow-origin", "https://*.example.com", "--allow-credentials"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(r#""~^https://(?:[a-z0-9-]+\.)+example\.com$" $http_origin;"#), "{stdout}");
    assert!(stdout.contains("add_header Access-Control-Allow-Credentials $cors_allow_credentials always;"), "{stdout}");
}

#[test]
fn a_profile_of_a_policy_file_is_rendered() {
    let dir = std::env::temp_dir().join(format!("corsair-snippet-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("cors.toml");
    std::fs::write(
        &file,
        "allow_origins = [\"https://app.example.com\"]\n[profiles.dev]\nallow_origins = [\"http://localhost:*\"]\n",
    )
    .expect("write");
    let out =
        corsair(&["snippet", "--for", "flask", "--config", file.to_str().expect("utf-8 path"), "--profile", "dev"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("re.compile(r'http://localhost(?::[0-9]{1,5})?')"), "{stdout}");
    assert!(!stdout.contains("app.example.com"), "the dev profile replaces the origins: {stdout}");
}

#[test]
fn exit_statuses() {
    assert_eq!(corsair(&["snippet", "--for", "cobol", "--allow-origin", "https://a.test"]).status.code(), Some(2));
    assert_eq!(corsair(&["snippet", "--for", "nginx"]).status.code(), Some(2), "no policy given");
    assert_eq!(
        corsair(&["snippet", "--for", "nginx", "--allow-origin", "*", "--allow-credentials"]).status.code(),
        Some(1)
    );
    let out = corsair(&["snippet", "--for", "express", "--allow-origin", "https://a.test", "--allow-credentials"]);
    assert_eq!(out.status.code(), Some(0));
}
