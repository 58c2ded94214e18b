//! The loopback policies `benches/peer.sh` audits with corsair and CORScanner: the sound and
//! flawed policies of `tests/policies.rs`, chosen by the request's host
//! (`<policy><replica>.example.com`). A hyper server (corsair-testkit), so that neither scanner
//! waits on the server.
//!
//! `cargo run --release --example peer_policies -- IP` prints `IP:PORT` and serves until killed
//! (`GET /__served`: requests so far); `-- --list` prints the policies, flawed then sound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corsair_testkit::{Recorded, Reply, TestServer};

const WWW: &str = "http://www.example.com";
const APP: &str = "http://app.example.com";

/// Every policy and whether it is sound.
const POLICIES: [(&str, bool); 21] = [
    ("reflectcreds", false),
    ("reflect", false),
    ("nulltrusted", false),
    ("endswith", false),
    ("startswith", false),
    ("startswithself", false),
    ("dotregex", false),
    ("dotregexself", false),
    ("laxparser", false),
    ("laxparserself", false),
    ("localhost", false),
    ("wildcardcreds", false),
    ("novary", false),
    ("permissivepreflight", false),
    ("twovalues", false),
    ("exactlist", true),
    ("public", true),
    ("subdomains", true),
    ("nocors", true),
    ("fixedorigin", true),
    ("listedpreflight", true),
];

static SERVED: AtomicUsize = AtomicUsize::new(0);

/// The host as a hand-written parser reads it: up to the first byte outside `[a-z0-9.-]`.
fn lax_host(origin: &str) -> &str {
    let rest = origin.strip_prefix("http://").unwrap_or("");
    let end = rest.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'));
    &rest[..end.unwrap_or(rest.len())]
}

/// `pattern` used as a regular expression without escaping its dots.
fn unescaped(pattern: &str, origin: &str) -> bool {
    origin.len() == pattern.len() && origin.bytes().zip(pattern.bytes()).all(|(a, p)| p == b'.' || a == p)
}

/// `http://` and one or more labels before `.example.com`.
fn http_subdomain(origin: &str) -> bool {
    origin.strip_prefix("http://").and_then(|h| h.strip_suffix(".example.com")).is_some_and(|sub| {
        sub.split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    })
}

/// (allowed, credentials, vary) for an echoing policy.
fn echo_policy(name: &str, o: &str, host: &str) -> (bool, bool, bool) {
    let own = format!("http://{host}");
    match name {
        "reflectcreds" | "permissivepreflight" => (true, true, true),
        "reflect" => (true, false, true),
        "nulltrusted" => (o == "null" || o == WWW, true, true),
        "endswith" => (o.ends_with("example.com"), true, true),
        "startswith" => (o.starts_with(WWW), true, true),
        "startswithself" => (o.starts_with(&own), true, true),
        "dotregex" => (unescaped(WWW, o), true, true),
        "dotregexself" => (unescaped(&own, o), true, true),
        "laxparser" => (lax_host(o) == "www.example.com", true, true),
        "laxparserself" => (lax_host(o) == host, true, true),
        "localhost" => (o == WWW || o == "http://localhost:3000", true, true),
        "novary" => (o == WWW, true, false),
        "twovalues" | "listedpreflight" => (o == WWW, true, true),
        "exactlist" => (o == WWW || o == APP, true, true),
        "subdomains" => (http_subdomain(o), true, true),
        _ => (false, false, false),
    }
}

fn answer(r: &Recorded) -> Reply {
    if r.path == "/__served" {
        return Reply::status(200).body(SERVED.load(Ordering::Relaxed).to_string());
    }
    SERVED.fetch_add(1, Ordering::Relaxed);
    let host = r.header("host").unwrap_or("").split(':').next().unwrap_or("").to_ascii_lowercase();
    let name = host.split('.').next().unwrap_or("").trim_end_matches(|c: char| c.is_ascii_digit()).to_owned();
    let preflight = if r.method == "OPTIONS" { r.header("access-control-request-method") } else { None };
    let mut reply = Reply::status(if preflight.is_some() { 204 } else { 200 });
    let origin = r.header("origin");
    let (allowed, credentials, vary) = origin.map_or((false, false, false), |o| echo_policy(&name, o, &host));
    if vary {
        reply = reply.header("Vary", "Origin");
    }
    match name.as_str() {
        "wildcardcreds" => {
            reply = reply.header("Access-Control-Allow-Origin", "*").header("Access-Control-Allow-Credentials", "true")
        }
        "public" => reply = reply.header("Access-Control-Allow-Origin", "*"),
        "fixedorigin" => reply = reply.header("Access-Control-Allow-Origin", APP),
        _ if allowed => {
            reply = reply.header("Access-Control-Allow-Origin", origin.unwrap_or(""));
            if credentials {
                reply = reply.header("Access-Control-Allow-Credentials", "true");
            }
        }
        _ => {}
    }
    if name == "twovalues" {
        reply = reply.header("Access-Control-Allow-Origin", APP);
    }
    match (preflight, name.as_str()) {
        (Some(method), "permissivepreflight") => {
            reply = reply
                .header("Access-Control-Allow-Methods", method)
                .header("Access-Control-Allow-Headers", r.header("access-control-request-headers").unwrap_or(""))
        }
        (Some(_), "listedpreflight") => {
            reply = reply
                .header("Access-Control-Allow-Methods", "GET, POST")
                .header("Access-Control-Allow-Headers", "content-type")
        }
        _ => {}
    }
    if preflight.is_some() {
        reply
    } else {
        reply.header("Content-Type", "application/json").body("{\"user\": \"alice\"}")
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg == "--list" {
        for (name, sound) in POLICIES {
            println!("{name} {}", if sound { "sound" } else { "flawed" });
        }
        return;
    }
    let ip: std::net::IpAddr = arg.parse().expect("usage: peer_policies IP | --list");
    assert!(ip.is_loopback(), "loopback only");
    let server = TestServer::start(ip, Arc::new(answer)).await;
    println!("{}", server.addr);
    std::future::pending::<()>().await;
}
