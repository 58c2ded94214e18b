//! `corsair audit` against real software configured the way recipes (and their common mistakes)
//! configure it: Express with the `cors` package from npm, django-cors-headers and Starlette from
//! PyPI (under uvicorn), and nginx (Debian) echoing
//! `$http_origin`, with an unanchored regex, or with an exact `map`. Each server listens on a
//! 127.0.0.x address that `--resolve` maps `api.example.test` to. Varnish (Debian) shows why
//! `missing-vary-origin` matters: in front of an echo without `Vary`, it hands one origin another's
//! answer, and the audit proves it from its own probes. A server that is not
//! installed is a loud SKIPPED line, or a failure with `CI=true`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A port that was free on `ip` a moment ago.
fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

/// Starts `command` and waits until `ip:port` accepts connections (at most 10 s).
fn start_and_wait(mut command: Command, ip: &str, port: u16) -> Option<Child> {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect((ip, port)).is_ok() {
            return Some(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            eprintln!("server exited: {status}");
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run installs it");
    }
    eprintln!("SKIPPED: {what}");
}

/// Runs `corsair audit http://api.example.test:PORT/me --format json` with `api.example.test`
/// at `ip`, and returns the kinds found and the exit status.
fn audit(ip: &str, port: u16) -> (Vec<String>, Option<i32>, Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_corsair"))
        .args(["audit", &format!("http://api.example.test:{port}/me"), "--format", "json", "--timeout", "5"])
        .args(["--resolve", &format!("api.example.test:{port}:{ip}")])
        .output()
        .unwrap();
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    let target = v["targets"][0].clone();
    assert_eq!(target["error"], Value::Null, "{target}");
    let kinds = target["findings"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap().to_owned()).collect();
    (kinds, o.status.code(), target)
}

/// Express and `cors` installed once per target directory with npm.
fn express_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("audit-express");
    if dir.join("node_modules/cors").is_dir() && dir.join("node_modules/express").is_dir() {
        return Some(dir);
    }
    std::fs::create_dir_all(&dir).ok()?;
    let ok = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "express@4", "cors@2"])
        .current_dir(&dir)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(dir)
}

#[test]
fn express_cors_origin_true_is_reflection_and_an_origin_list_is_quiet() {
    let Some(dir) = express_dir().filter(|_| Command::new("node").arg("-v").output().is_ok()) else {
        return missing("Express (node and npm: apt-get install nodejs npm)");
    };
    let cases: [(&str, &[&str]); 2] = [
        // The recipe's mistake: reflect whatever comes, with cookies.
        ("{origin: true, credentials: true}", &["origin-reflection", "null-origin-trusted"]),
        // The recipe: an exact list.
        ("{origin: ['http://www.example.test', 'https://app.example.test'], credentials: true}", &[]),
    ];
    for (options, expected) in cases {
        let ip = "127.0.0.41";
        let port = free_port(ip);
        let app = format!(
            "const express = require('express'); const cors = require('cors');\n\
             const app = express(); app.use(cors({options}));\n\
             app.get('/me', (req, res) => res.json({{user: 'alice'}}));\n\
             app.listen({port}, '{ip}');\n"
        );
        std::fs::write(dir.join("app.js"), app).unwrap();
        let mut node = Command::new("node");
        node.arg(dir.join("app.js")).current_dir(&dir);
        let Some(mut server) = start_and_wait(node, ip, port) else { panic!("express did not start") };
        let (kinds, code, target) = audit(ip, port);
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(kinds, expected, "cors({options}): {target}");
        assert_eq!(code, Some(if expected.is_empty() { 0 } else { 1 }), "cors({options})");
        if let Some(f) = target["findings"].as_array().and_then(|f| f.first()) {
            assert_eq!((f["severity"].as_str(), f["credentials"].as_bool()), (Some("high"), Some(true)), "{f}");
        }
    }
}

#[test]
fn nginx_echo_unanchored_regex_and_exact_map() {
    let Some(bin) = ["/usr/sbin/nginx", "nginx"].into_iter().find(|b| Command::new(b).arg("-v").output().is_ok())
    else {
        return missing("nginx (apt-get install nginx)");
    };
    let cases: [(&str, &str, &[&str]); 3] = [
        // The copied snippet: echo the Origin, no Vary.
        ("echo", "default $http_origin;", &["origin-reflection", "null-origin-trusted", "missing-vary-origin"]),
        // A regex without anchors or escaped dots.
        ("regex", "~example.test $http_origin; default \"\";", &["prefix-match-bypass", "suffix-match-bypass"]),
        // An exact map: sound.
        ("exact", "\"http://www.example.test\" $http_origin; default \"\";", &[]),
    ];
    let dir = std::env::temp_dir().join(format!("corsair-audit-nginx-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    for (name, map, expected) in cases {
        let ip = "127.0.0.42";
        let port = free_port(ip);
        // `Vary` only when the map is not the plain echo, as the copied snippet forgets it.
        let vary = if name == "echo" { "" } else { "add_header Vary Origin always;" };
        let conf = format!(
            "daemon off;\nworker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  \
             client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n  \
             map $http_origin $cors_origin {{ {map} }}\n  \
             server {{\n    listen {ip}:{port};\n    location / {{\n      \
             add_header Access-Control-Allow-Origin $cors_origin always;\n      \
             add_header Access-Control-Allow-Credentials true always;\n      {vary}\n      \
             return 200 '{{\"user\":\"alice\"}}';\n    }}\n  }}\n}}\n",
            d = dir.display(),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let mut nginx = Command::new(bin);
        nginx.arg("-p").arg(&dir).arg("-c").arg(dir.join("nginx.conf"));
        let Some(mut server) = start_and_wait(nginx, ip, port) else {
            panic!("nginx did not start: {}", std::fs::read_to_string(dir.join("error.log")).unwrap_or_default())
        };
        let (mut kinds, code, target) = audit(ip, port);
        let _ = server.kill();
        let _ = server.wait();
        kinds.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(kinds, expected, "nginx {name}: {target}");
        assert_eq!(code, Some(if expected.is_empty() { 0 } else { 1 }), "nginx {name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `script` (Python, reads `IP PORT JSON` from argv) for each `(config, expected kinds)`,
/// audits it, and asserts exactly those kinds (sorted).
fn python_cases(name: &str, import: &str, script: &str, ip: &str, cases: &[(&str, &[&str])]) {
    let probe = Command::new("python3").args(["-c", import]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return missing(name);
    }
    let dir = std::env::temp_dir().join(format!("corsair-audit-py-{}-{}", name.len(), std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.py");
    std::fs::write(&file, script).unwrap();
    for (config, expected) in cases {
        let port = free_port(ip);
        let mut python = Command::new("python3");
        python.arg(&file).args([ip, &port.to_string(), config]);
        let Some(mut server) = start_and_wait(python, ip, port) else { panic!("{name} did not start with {config}") };
        let (mut kinds, code, target) = audit(ip, port);
        let _ = server.kill();
        let _ = server.wait();
        kinds.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(kinds, expected, "{name} {config}: {target}");
        assert_eq!(code, Some(if expected.is_empty() { 0 } else { 1 }), "{name} {config}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// django-cors-headers 4.9 under uvicorn, settings from argv.
const DJANGO_APP: &str = r#"
import json, sys
from django.conf import settings
settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="corsair-test",
                   INSTALLED_APPS=["corsheaders"], MIDDLEWARE=["corsheaders.middleware.CorsMiddleware"],
                   **json.loads(sys.argv[3]))
from django.core.asgi import get_asgi_application
from django.http import JsonResponse
from django.urls import path
urlpatterns = [path("me", lambda request: JsonResponse({"user": "alice"}))]
import uvicorn
uvicorn.run(get_asgi_application(), host=sys.argv[1], port=int(sys.argv[2]), log_level="warning", lifespan="off")
"#;

#[test]
fn django_cors_headers_allow_all_start_anchored_regex_and_list() {
    python_cases(
        "django-cors-headers (python3 -m pip install django==5.2.19 django-cors-headers==4.9.0)",
        "import django, corsheaders, uvicorn",
        DJANGO_APP,
        "127.0.0.43",
        &[
            // The recipe's shortcut: every origin, with cookies. It echoes (never `*`) once
            // credentials are on.
            (
                r#"{"CORS_ALLOW_ALL_ORIGINS": true, "CORS_ALLOW_CREDENTIALS": true}"#,
                &["origin-reflection", "null-origin-trusted"],
            ),
            // Dots escaped, but no `$`: `re.match` anchors only the start, so
            // `http://www.example.test.evil.example` matches.
            (
                r#"{"CORS_ALLOWED_ORIGIN_REGEXES": ["^http://\\w+\\.example\\.test"], "CORS_ALLOW_CREDENTIALS": true}"#,
                &["prefix-match-bypass"],
            ),
            // The same regex anchored: every http subdomain, a note, not a finding.
            (
                r#"{"CORS_ALLOWED_ORIGIN_REGEXES": ["^http://\\w+\\.example\\.test$"], "CORS_ALLOW_CREDENTIALS": true}"#,
                &[],
            ),
            // The recipe: an exact list.
            (
                r#"{"CORS_ALLOWED_ORIGINS": ["http://www.example.test", "https://app.example.test"], "CORS_ALLOW_CREDENTIALS": true}"#,
                &[],
            ),
        ],
    );
}

/// Starlette's CORSMiddleware under uvicorn, keyword arguments from argv.
const STARLETTE_APP: &str = r#"
import json, sys
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route
def me(request):
    return JSONResponse({"user": "alice"})
app = Starlette(routes=[Route("/me", me)], middleware=[Middleware(CORSMiddleware, **json.loads(sys.argv[3]))])
import uvicorn
uvicorn.run(app, host=sys.argv[1], port=int(sys.argv[2]), log_level="warning", lifespan="off")
"#;

#[test]
fn starlette_wildcard_with_credentials_echoes_and_its_regex_is_fully_matched() {
    python_cases(
        "Starlette and uvicorn (python3 -m pip install starlette==1.10.0 uvicorn==0.55.0)",
        "import starlette, uvicorn",
        STARLETTE_APP,
        "127.0.0.44",
        &[
            // `["*"]` with credentials: Starlette echoes the request's Origin instead of `*`.
            (r#"{"allow_origins": ["*"], "allow_credentials": true}"#, &["origin-reflection", "null-origin-trusted"]),
            // Without anchors, but Starlette uses `fullmatch`: sound (every http subdomain: a note).
            (r#"{"allow_origin_regex": "http://\\w+\\.example\\.test", "allow_credentials": true}"#, &[]),
            // Anchored, dots unescaped: `.` matches any character.
            (
                r#"{"allow_origin_regex": "^http://www.example.test$", "allow_credentials": true}"#,
                &["unescaped-dot-bypass"],
            ),
            // `*` without credentials: public data, not a finding.
            (r#"{"allow_origins": ["*"]}"#, &[]),
            // An exact list.
            (r#"{"allow_origins": ["http://www.example.test"], "allow_credentials": true}"#, &[]),
        ],
    );
}

/// An origin server that echoes `Origin` with credentials and never sends `Vary`.
const ECHO_BACKEND: &str = r#"
import http.server, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "17")
        self.end_headers()
        self.wfile.write(b'{"user": "alice"}')
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Echo).serve_forever()
"#;

/// `GET path` with `Origin: origin` over HTTP/1.1; the response's
/// `Access-Control-Allow-Origin`.
fn allow_origin(ip: &str, port: u16, path: &str, origin: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect((ip, port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: api.example.test\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.strip_prefix("access-control-allow-origin: ").or(l.strip_prefix("Access-Control-Allow-Origin: "))
        })
        .map(str::to_owned)
}

/// Stops a process with SIGTERM (varnishd's manager then stops its child) and reaps it.
fn terminate(mut child: Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn varnish_serves_one_origins_allow_origin_to_another_and_audit_sees_it() {
    let Some(varnishd) =
        ["/usr/sbin/varnishd", "varnishd"].into_iter().find(|b| Command::new(b).arg("-V").output().is_ok())
    else {
        return missing("Varnish (apt-get install varnish)");
    };
    let (backend_ip, cache_ip) = ("127.0.0.47", "127.0.0.48");
    let dir = std::env::temp_dir().join(format!("corsair-audit-varnish-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("echo.py"), ECHO_BACKEND).unwrap();
    let backend_port = free_port(backend_ip);
    let mut python = Command::new("python3");
    python.arg(dir.join("echo.py")).args([backend_ip, &backend_port.to_string()]);
    let Some(backend) = start_and_wait(python, backend_ip, backend_port) else {
        panic!("the echo backend did not start")
    };
    let cache_port = free_port(cache_ip);
    // Foreground, its own working directory, memory storage: no root service involved.
    let mut cache = Command::new(varnishd);
    cache
        .args(["-F", "-a", &format!("{cache_ip}:{cache_port}"), "-b", &format!("{backend_ip}:{backend_port}")])
        .arg("-n")
        .arg(dir.join("varnish"))
        .args(["-s", "malloc,16m"]);
    let Some(varnish) = start_and_wait(cache, cache_ip, cache_port) else { panic!("varnishd did not start") };

    // The backend answers each origin with its own name...
    assert_eq!(
        allow_origin(backend_ip, backend_port, "/demo", "https://b.example").as_deref(),
        Some("https://b.example")
    );
    // ...but through Varnish the second origin gets the first one's answer from the cache.
    let first = allow_origin(cache_ip, cache_port, "/demo", "https://a.example");
    let second = allow_origin(cache_ip, cache_port, "/demo", "https://b.example");

    let (mut kinds, code, target) = audit(cache_ip, cache_port);
    let (direct, _, _) = audit(backend_ip, backend_port);
    terminate(varnish);
    terminate(backend);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(first.as_deref(), Some("https://a.example"));
    assert_eq!(second.as_deref(), Some("https://a.example"), "Varnish served b.example the answer for a.example");
    kinds.sort();
    assert_eq!(kinds, ["missing-vary-origin", "origin-reflection"], "{target}");
    assert_eq!(code, Some(1));
    let findings = target["findings"].as_array().unwrap();
    let reflected = findings.iter().find(|f| f["kind"] == "origin-reflection").unwrap()["origin"].clone();
    let vary = findings.iter().find(|f| f["kind"] == "missing-vary-origin").unwrap();
    let detail = vary["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("served from a cache") && detail.contains(reflected.as_str().unwrap()), "{detail}");
    assert_ne!(vary["origin"], reflected);
    let served = vary["evidence"]["response"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case("access-control-allow-origin")))
        .map(|h| h[1].clone());
    assert_eq!(served, Some(reflected), "the evidence shows the first origin's answer");
    // The same backend without the cache: the echo itself (the origin of the problem).
    let mut direct = direct;
    direct.sort();
    assert_eq!(direct, ["missing-vary-origin", "null-origin-trusted", "origin-reflection"]);
}
