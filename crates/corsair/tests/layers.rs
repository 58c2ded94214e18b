//! Two layers: a real nginx in front of a real Express. `corsair check` must say it sees both,
//! tell which layer wrote each `Access-Control-Allow-Origin` (one extra request from an origin no
//! list has), and print a fix that leaves one layer answering: applied, the request passes and
//! the header comes once.

mod servers;

use std::path::Path;
use std::process::Command;

use servers::{check, express_modules, free_port, nginx_binary, parts, Proc, PAGE};

/// Express with `cors` and an origin list (the page and an admin site), credentials allowed.
fn express_app(origins: &str) -> String {
    format!(
        "'use strict';\nconst express = require('express');\nconst cors = require('cors');\nconst app = express();\nconst corsOptions = {{ origin: [{origins}], credentials: true }};\n//FIX\napp.use(cors(corsOptions));\napp.get('/api/items', (req, res) => res.json([]));\napp.listen(Number(process.argv[2]), '127.0.0.1');\n"
    )
}

/// nginx proxying to Express; `cors` is what the location adds (the seed's lines, or nothing),
/// between `#SEED` and `#END`.
fn start_nginx(bin: &str, dir: &Path, port: u16, upstream: u16, cors: &str) -> Proc {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n  server {{\n    listen 127.0.0.1:{port};\n    location /api/ {{\n      #SEED\n{cors}      #END\n      proxy_pass http://127.0.0.1:{upstream};\n    }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), &conf).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("-p").arg(dir).arg("-c").arg(dir.join("nginx.conf"));
    Proc::start(cmd, dir, port)
}

/// The seed's nginx lines: the request's Origin echoed, credentials allowed, on every status.
const NGINX_ECHO: &str = "      add_header Access-Control-Allow-Origin $http_origin always;\n      add_header Access-Control-Allow-Credentials true always;\n";

fn acao_lines(v: &serde_json::Value) -> usize {
    let last = v["requests"].as_array().unwrap().last().unwrap();
    last["response"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("access-control-allow-origin"))
        .count()
}

#[test]
fn nginx_and_express_both_adding_the_origin_are_named_and_one_is_removed() {
    let (Some(bin), Some(modules)) = (nginx_binary(), express_modules()) else { return };
    let dir = servers::temp_dir("layers-both");
    let (port, upstream) = (free_port(), free_port());
    let _app = servers::express(
        &modules,
        &dir,
        &express_app("'http://localhost:5173', 'https://admin.example.com'"),
        upstream,
    );
    let nginx = start_nginx(bin, &dir, port, upstream, NGINX_ECHO);
    let url = format!("http://127.0.0.1:{port}/api/items");
    let asked = ["--credentials", "include"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["error"]["kind"], "kMultipleAllowOriginValues", "the browser's duplicate-value error: {before}");
    let layers = &before["layers"];
    assert_eq!(layers["front"]["product"], "nginx", "{layers}");
    assert_eq!(layers["app"]["product"], "Express", "{layers}");
    assert_eq!(
        layers["duplicated"],
        serde_json::json!(["access-control-allow-origin", "access-control-allow-credentials"]),
        "{layers}"
    );
    let lines = layers["lines"].to_string();
    assert!(lines.contains("nginx's add_header"), "the echoing line is nginx's: {lines}");
    assert!(lines.contains("Express's, behind nginx") && lines.contains("an allow-list"), "{lines}");
    let fix = parts(&before);
    assert_eq!(fix.len(), 1, "{fix:?}");
    assert!(fix[0].1.contains("Remove nginx's copy"), "{}", fix[0].1);
    assert!(!fix[0].1.contains("proxy_hide_header"), "never offers to keep nginx's echo: {}", fix[0].1);
    assert!(fix[0].1.contains("Not the other way round"), "says why: {}", fix[0].1);
    assert!(!fix[0].1.contains("cors("), "no second layer for Express: {}", fix[0].1);
    let text = servers::check_text(&url, PAGE, &asked);
    assert!(text.contains("Two layers answer here:") && text.contains("X-Powered-By: Express"), "{text}");
    assert!(!text.contains("For Express"), "no Express fix that would double nginx's header: {text}");
    drop(nginx);

    // Applied: nginx's CORS lines removed, as the fix says.
    let port = free_port();
    let _nginx = start_nginx(bin, &dir, port, upstream, "");
    let url = format!("http://127.0.0.1:{port}/api/items");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}");
    assert_eq!(acao_lines(&after), 1);
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "Express's list still decides: {evil}");
}

#[test]
fn behind_nginx_only_express_adds_cors_so_the_fix_goes_to_express_alone() {
    let (Some(bin), Some(modules)) = (nginx_binary(), express_modules()) else { return };
    let dir = servers::temp_dir("layers-app");
    let (port, upstream) = (free_port(), free_port());
    let app = express_app("'https://admin.example.com'");
    let express = servers::express(&modules, &dir, &app, upstream);
    let _nginx = start_nginx(bin, &dir, port, upstream, "");
    let url = format!("http://127.0.0.1:{port}/api/items");
    let asked = ["--credentials", "include"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    let layers = &before["layers"];
    assert_eq!(
        (layers["front"]["product"].clone(), layers["app"]["product"].clone()),
        ("nginx".into(), "Express".into())
    );
    assert_eq!(layers["duplicated"], serde_json::json!([]), "{layers}");
    assert_eq!(before["stack"], "express");
    assert_eq!(before["error"]["fix"]["snippet_adds_to_existing_layer"], true, "{before}");
    let text = servers::check_text(&url, PAGE, &asked);
    assert!(text.contains("add no CORS lines to nginx"), "{text}");
    let fix = parts(&before);
    drop(express);

    let _express = servers::express(&modules, &dir, &app.replace("//FIX\n", &fix[0].1), upstream);
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}");
    assert_eq!(acao_lines(&after), 1, "one layer answers: {after}");
    let admin = check(&url, "https://admin.example.com", &asked);
    assert_eq!(admin["verdict"], "allowed", "{admin}");
}

/// nginx adding a fixed origin of its own (an allow-list of one, the page) in front of Express
/// that allows the page too: both lines come, and the fix's second way, nginx's lines kept and
/// Express's hidden with `proxy_hide_header`, applied: the request passes with one line.
const NGINX_FIXED: &str = "      add_header Access-Control-Allow-Origin http://localhost:5173 always;\n      add_header Access-Control-Allow-Credentials true always;\n";

#[test]
fn keeping_nginx_s_own_list_and_hiding_express_s_lines_works_too() {
    let (Some(bin), Some(modules)) = (nginx_binary(), express_modules()) else { return };
    let dir = servers::temp_dir("layers-hide");
    let (port, upstream) = (free_port(), free_port());
    let app = express_app("'http://localhost:5173', 'https://admin.example.com'");
    let _app = servers::express(&modules, &dir, &app, upstream);
    let nginx = start_nginx(bin, &dir, port, upstream, NGINX_FIXED);
    let url = format!("http://127.0.0.1:{port}/api/items");
    let asked = ["--credentials", "include"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["error"]["kind"], "kMultipleAllowOriginValues", "{before}");
    let fix = parts(&before);
    let hide: String = fix[0]
        .1
        .lines()
        .filter_map(|l| l.strip_prefix("# proxy_hide_header "))
        .map(|rest| format!("      proxy_hide_header {rest}\n"))
        .collect();
    assert!(hide.contains("Access-Control-Allow-Origin"), "offers to hide Express's lines: {}", fix[0].1);
    drop(nginx);

    let port = free_port();
    let _nginx = start_nginx(bin, &dir, port, upstream, &format!("{NGINX_FIXED}{hide}"));
    let url = format!("http://127.0.0.1:{port}/api/items");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{hide}");
    assert_eq!(acao_lines(&after), 1, "one layer answers: {after}");
    let admin = check(&url, "https://admin.example.com", &asked);
    assert_eq!(admin["verdict"], "blocked", "nginx's list (the page only) decides now: {admin}");
}
