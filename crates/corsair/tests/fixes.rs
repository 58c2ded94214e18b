//! The fixes `corsair check` prints, applied to real servers that already have the mistake they
//! fix (the seeds' recipes as written), the way a user applies them: each printed part pasted
//! where its place says, the lines it says it replaces removed. Then the server must start, the
//! blocked request must pass, and what passed before (other origins, other methods) must still
//! pass: a fix that narrows the layer or drops the origins it had is not a fix.

mod servers;

use servers::{check, express_modules, free_port, missing, nginx_binary, parts, Proc, PAGE};

/// Express with `cors` and an origin list that lacks the page, a header list that lacks the
/// page's header, and routes with other methods: the seed's `cors(corsOptions)` as written.
const EXPRESS_APP: &str = r#"'use strict';
const express = require('express');
const cors = require('cors');
const app = express();
const corsOptions = {
  origin: ['https://admin.example.com', 'http://localhost:3000'],
  credentials: true,
  allowedHeaders: ['content-type'],
};
//FIX
app.use(cors(corsOptions));
app.get('/items', (req, res) => res.json([]));
app.put('/items/:id', (req, res) => res.json({}));
app.delete('/items/:id', (req, res) => res.status(204).end());
const server = app.listen(Number(process.argv[2]), '127.0.0.1');
"#;

/// `app` served by node with the test's express and cors, on a port of its own.
fn express_on_a_free_port(modules: &std::path::Path, dir: &std::path::Path, app: &str) -> (Proc, u16) {
    let port = free_port();
    (servers::express(modules, dir, app, port), port)
}

#[test]
fn the_express_fix_adds_the_origin_and_keeps_the_other_origins_and_methods() {
    let Some(modules) = express_modules() else { return };
    let dir = servers::temp_dir("express-fix");
    let start = |app: &str| express_on_a_free_port(&modules, &dir, app);
    let (server, port) = start(EXPRESS_APP);
    let url = format!("http://127.0.0.1:{port}/items/1");
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["error"]["fix"]["snippet_adds_to_existing_layer"], true, "{before}");
    let fix = parts(&before);
    assert_eq!(fix.len(), 1, "{fix:?}");
    let text = &fix[0].1;
    assert!(text.contains("remove any other that sets Access-Control-*"), "names the duplicate to remove: {text}");
    assert!(!text.contains("corsOptions.methods"), "PUT was allowed already; nothing to narrow: {text}");
    drop(server);

    let (_server, port) = start(&EXPRESS_APP.replace("//FIX\n", text));
    let url = format!("http://127.0.0.1:{port}/items/1");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "the fix lets the request through: {after}\n{text}");
    // What passed before still passes: the old origins, the other methods and routes.
    for (origin, args) in [
        (
            "https://admin.example.com",
            &["-X", "DELETE", "-H", "Content-Type: application/json", "--credentials", "include"][..],
        ),
        ("http://localhost:3000", &["--credentials", "include"][..]),
        (PAGE, &["-X", "DELETE", "--credentials", "include"][..]),
    ] {
        let path = if args.is_empty() || args[0] != "-X" { "/items" } else { "/items/1" };
        let v = check(&format!("http://127.0.0.1:{port}{path}"), origin, args);
        assert_eq!(v["verdict"], "allowed", "{origin} {args:?} no longer passes: {v}");
    }
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "the fix opened the layer to everyone: {evil}");
}

/// A Django project with django-cors-headers installed and set wrong: an origin list without the
/// page, no credentials, the middleware below CommonMiddleware.
const DJANGO_SETTINGS: &str = r#"SECRET_KEY = 'corsair-fix-test'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1']
ROOT_URLCONF = 'urls'
INSTALLED_APPS = ['django.contrib.contenttypes', 'corsheaders']
MIDDLEWARE = [
    'django.middleware.common.CommonMiddleware',
    'corsheaders.middleware.CorsMiddleware',
]
CORS_ALLOWED_ORIGINS = ['https://admin.example.com']
LOGGING_CONFIG = None
"#;

const DJANGO_URLS: &str = r#"from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def items(request, id=None):
    return JsonResponse({'method': request.method})


urlpatterns = [path('items', items), path('items/<int:id>', items)]
"#;

#[test]
fn the_django_fix_changes_the_settings_of_an_installed_corsheaders_and_django_starts() {
    if !servers::python_has("django, corsheaders", servers::DJANGO_INSTALL) {
        return;
    }
    let dir = servers::temp_dir("django-fix");
    std::fs::write(dir.join("urls.py"), DJANGO_URLS).unwrap();
    let start = |settings: &str| servers::django(&dir, settings);
    let (server, port) = start(DJANGO_SETTINGS);
    let url = format!("http://127.0.0.1:{port}/items/1");
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["stack"], "django", "{before}");
    let fix = parts(&before);
    let text = &fix[0].1;
    assert_eq!(fix[0].0, "settings.py, at the end");
    assert!(text.contains("if 'corsheaders' not in INSTALLED_APPS"), "never adds the app twice: {text}");
    drop(server);

    let (_server, port) = start(&format!("{DJANGO_SETTINGS}\n{text}"));
    let url = format!("http://127.0.0.1:{port}/items/1");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "Django started and the request passes: {after}\n{text}");
    let old = check(&format!("http://127.0.0.1:{port}/items"), "https://admin.example.com", &[]);
    assert_eq!(old["verdict"], "allowed", "the origin allowed before still is: {old}");
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
}

/// nginx as the seeds configure it: `add_header Access-Control-Allow-Origin *` (no `always`, `*`
/// where the page sends credentials) and an `if` answering OPTIONS, in a location that also has
/// an `add_header` of its own. `@CORS@` marks where the fix's server part goes (the server
/// block or the location), `@HTTP@` the http part.
fn nginx_conf(dir: &std::path::Path, port: u16, location_has_add_header: bool) -> String {
    let d = dir.display();
    let own = if location_has_add_header { "      add_header Cache-Control no-store;\n" } else { "" };
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n@HTTP@\n  server {{\n    listen 127.0.0.1:{port};\n@SERVER@\n    location /api/ {{\n{own}@LOCATION@\n      #SEED\n      add_header Access-Control-Allow-Origin *;\n      if ($request_method = OPTIONS) {{\n        add_header Access-Control-Allow-Origin *;\n        add_header Access-Control-Allow-Methods 'GET, POST, OPTIONS';\n        return 204;\n      }}\n      #END\n      return 200 '{{\"items\":[]}}';\n    }}\n  }}\n}}\n"
    )
}

/// The seed lines the fix's comment says it replaces, removed.
fn without_seed(conf: &str) -> String {
    let (head, rest) = conf.split_once("      #SEED\n").expect("seed start");
    let (_, tail) = rest.split_once("      #END\n").expect("seed end");
    format!("{head}{tail}")
}

fn nginx_test(bin: &str, dir: &std::path::Path, conf: &str) {
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let t = std::process::Command::new(bin).arg("-t").arg("-p").arg(dir).arg("-c").arg(dir.join("nginx.conf")).output();
    let t = t.expect("nginx -t");
    assert!(t.status.success(), "nginx -t refuses the fix: {}\n{conf}", String::from_utf8_lossy(&t.stderr));
}

fn nginx_start(bin: &str, dir: &std::path::Path, conf: &str, port: u16) -> Proc {
    nginx_test(bin, dir, conf);
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("-p").arg(dir).arg("-c").arg(dir.join("nginx.conf"));
    Proc::start(cmd, dir, port)
}

#[test]
fn the_nginx_fix_works_in_a_server_block_and_in_a_location_with_add_header_of_its_own() {
    let Some(bin) = nginx_binary() else { return };
    for (in_location, own) in [(false, false), (true, true), (true, false)] {
        let place = if in_location { "location" } else { "server" };
        let dir = servers::temp_dir(&format!("nginx-fix-{place}-{own}"));
        let port = free_port();
        let seeded =
            nginx_conf(&dir, port, own).replace("@HTTP@\n", "").replace("@SERVER@\n", "").replace("@LOCATION@\n", "");
        let server = nginx_start(bin, &dir, &seeded, port);
        let url = format!("http://127.0.0.1:{port}/api/items");
        let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
        let before = check(&url, PAGE, &asked);
        assert_eq!(before["verdict"], "blocked", "{before}");
        assert_eq!(before["stack"], "nginx");
        let fix = parts(&before);
        assert_eq!(fix.len(), 2, "{fix:?}");
        assert!(fix[0].0.contains("http {}") && fix[1].0.contains("server {}"), "{fix:?}");
        assert!(fix[1].1.contains("or into the location {}"), "says where else it goes: {}", fix[1].1);
        assert!(fix[1].1.contains("Remove the add_header Access-Control-* lines"), "says what it replaces");
        drop(server);

        // One process (master_process off), so dropping it frees the port; a new port all the same.
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/api/items");
        let indent = |text: &str| text.lines().map(|l| format!("      {l}\n")).collect::<String>();
        let mut fixed = without_seed(&nginx_conf(&dir, port, own)).replace("@HTTP@\n", &indent(&fix[0].1));
        if in_location {
            fixed = fixed.replace("@SERVER@\n", "").replace("@LOCATION@\n", &indent(&fix[1].1));
        } else {
            fixed = fixed.replace("@SERVER@\n", &indent(&fix[1].1)).replace("@LOCATION@\n", "");
        }
        let _server = nginx_start(bin, &dir, &fixed, port);
        let after = check(&url, PAGE, &asked);
        assert_eq!(after["verdict"], "allowed", "fix in the {place} block: {after}\n{fixed}");
        if own {
            let get = check(&url, PAGE, &["--credentials", "include"]);
            let last = get["requests"].as_array().unwrap().last().unwrap().clone();
            let headers = last["response"]["headers"].to_string().to_ascii_lowercase();
            assert!(headers.contains("cache-control"), "the location's own add_header stays: {headers}");
        }
        let evil = check(&url, "https://evil.example", &asked);
        assert_eq!(evil["verdict"], "blocked", "{evil}");
    }
}

const STARLETTE_INSTALL: &str = "Starlette and uvicorn (python3 -m pip install starlette==1.10.0 uvicorn==0.55.0)";

/// Starlette (FastAPI's layer) as FastAPI's tutorial writes it: `allow_origins=origins`, a list
/// that lacks the page.
const STARLETTE_APP: &str = r#"from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route


async def items(request):
    return JSONResponse([])


origins = ['https://admin.example.com']
#FIX
app = Starlette(routes=[Route('/items', items, methods=['GET', 'PUT', 'DELETE'])])
app.add_middleware(
    CORSMiddleware, allow_origins=origins, allow_credentials=True, allow_methods=['*'], allow_headers=['*']
)
"#;

#[test]
fn the_fastapi_fix_appends_to_the_origins_corsmiddleware_already_gets() {
    if !servers::python_has("starlette, uvicorn", STARLETTE_INSTALL) {
        return;
    }
    let dir = servers::temp_dir("starlette-fix");
    let start = |app: &str| servers::uvicorn(&dir, app);
    let (server, port) = start(STARLETTE_APP);
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
    let before = check(&format!("http://127.0.0.1:{port}/items"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["stack"], "fastapi", "{before}");
    assert_eq!(before["error"]["fix"]["snippet_adds_to_existing_layer"], true, "{before}");
    let text = parts(&before)[0].1.clone();
    assert!(text.contains("origins.append('http://localhost:5173')"), "{text}");
    assert!(!text.contains("allow_methods"), "methods were allowed already: {text}");
    drop(server);

    let (_server, port) = start(&STARLETTE_APP.replace("#FIX\n", &text));
    let url = format!("http://127.0.0.1:{port}/items");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{text}");
    let old = check(&url, "https://admin.example.com", &["-X", "DELETE", "--credentials", "include"]);
    assert_eq!(old["verdict"], "allowed", "{old}");
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
}

/// The same app with a route that raises: the preflight passes, the PUT gets Starlette's 500
/// without CORS headers (made by ServerErrorMiddleware, outside CORSMiddleware). The fix moves the
/// layer out with its arguments, and the page then reads the 500.
#[test]
fn a_500_made_outside_starlettes_corsmiddleware_gets_the_fix_that_moves_the_layer() {
    if !servers::python_has("starlette, uvicorn", STARLETTE_INSTALL) {
        return;
    }
    let app = STARLETTE_APP
        .replace("return JSONResponse([])", "raise RuntimeError('boom')")
        .replace(
            "origins = ['https://admin.example.com']",
            "origins = ['https://admin.example.com', 'http://localhost:5173']",
        )
        .replace("#FIX\n", "")
        + "#FIX\n";
    let dir = servers::temp_dir("starlette-500");
    let start = |app: &str| servers::uvicorn(&dir, app);
    let (server, port) = start(&app);
    let asked = ["-X", "PUT", "-H", "Content-Type: application/json", "--credentials", "include"];
    let before = check(&format!("http://127.0.0.1:{port}/items"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    let text = parts(&before)[0].1.clone();
    assert!(text.contains("app = _Cors(app, *_m.args, **_m.kwargs)"), "moves the layer: {text}");
    assert!(!text.contains("origins.append"), "re-adds nothing: {text}");
    drop(server);

    let (_server, port) = start(&app.replace("#FIX\n", &text));
    let after = check(&format!("http://127.0.0.1:{port}/items"), PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "the page reads the 500 now: {after}\n{text}");
    let last = after["requests"].as_array().unwrap().last().unwrap();
    assert_eq!(last["response"]["status"], 500, "{after}");
}

/// Apache as the seeds configure it: `Header set Access-Control-Allow-Origin "*"` (no `always`,
/// `*` where the page sends credentials) in the virtual host, between `#SEED` and `#END`, and a
/// rewrite rule of the site's own that must keep working. The app is a CGI script.
fn apache_conf(dir: &std::path::Path, port: u16, cors: &str) -> String {
    const MODULES: &str = "/usr/lib/apache2/modules";
    let d = dir.display();
    let modules: String = ["mpm_event", "authz_core", "alias", "cgid", "setenvif", "headers", "rewrite"]
        .iter()
        .map(|m| format!("LoadModule {m}_module {MODULES}/mod_{m}.so\n"))
        .collect();
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let user = if root { "User www-data\nGroup www-data\n" } else { "" };
    format!(
        "{modules}{user}ServerName 127.0.0.1\nServerRoot {d}\nDefaultRuntimeDir {d}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\nLogLevel warn\nScriptSock {d}/cgid.sock\nListen 127.0.0.1:{port}\nDocumentRoot {d}\n<Directory />\n  Require all granted\n</Directory>\n<VirtualHost 127.0.0.1:{port}>\nRewriteEngine On\nRewriteRule ^/old$ /items [R=301,L]\n{cors}ScriptAlias / {d}/app.cgi/\n</VirtualHost>\n"
    )
}

const APACHE_SEED: &str = "#SEED\nHeader set Access-Control-Allow-Origin \"*\"\nHeader set Access-Control-Allow-Methods \"GET, POST, OPTIONS\"\n#END\n";

#[test]
fn the_apache_fix_replaces_the_seed_lines_and_keeps_the_sites_rewrites() {
    use std::os::unix::fs::PermissionsExt;
    let bin = "/usr/sbin/apache2";
    if !std::path::Path::new(bin).exists() {
        missing("Apache httpd (apt-get install apache2)");
        return;
    }
    let dir = servers::temp_dir("apache-fix");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let app = dir.join("app.cgi");
    std::fs::write(&app, "#!/bin/sh\nprintf 'Content-Type: application/json\\r\\n\\r\\n[]\\n'\n").unwrap();
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).unwrap();
    let start = |cors: &str| {
        let port = free_port();
        let conf = apache_conf(&dir, port, cors);
        let path = dir.join(format!("httpd-{port}.conf"));
        std::fs::write(&path, &conf).unwrap();
        let t = std::process::Command::new(bin).arg("-t").arg("-f").arg(&path).output().expect("apache2 -t");
        assert!(t.status.success(), "apache2 -t refuses: {}\n{conf}", String::from_utf8_lossy(&t.stderr));
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("-f").arg(&path).arg("-DFOREGROUND");
        (Proc::start(cmd, &dir, port), port)
    };
    let (server, port) = start(APACHE_SEED);
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
    let before = check(&format!("http://127.0.0.1:{port}/items"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["stack"], "apache", "{before}");
    let fix = parts(&before);
    assert!(fix[0].1.contains("Remove other CORS handling"), "says what it replaces: {}", fix[0].1);
    drop(server);

    // Applied: the seed's lines removed, the snippet in the virtual host.
    let (_server, port) = start(&fix[0].1);
    let url = format!("http://127.0.0.1:{port}/items");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{}", fix[0].1);
    let old = check(&format!("http://127.0.0.1:{port}/old"), PAGE, &["--credentials", "include"]);
    assert_eq!(old["verdict"], "allowed", "the site's redirect still leads to the API: {old}");
    assert_eq!(old["requests"][0]["response"]["status"], 301, "{old}");
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
}

/// A Caddy site as the seeds write it: `header Access-Control-Allow-Origin *` and a
/// `reverse_proxy`-like handler (`respond` here), plus a `handle_path` of the site's own.
const CADDY_SEED: &str = "  header Access-Control-Allow-Origin *\n";
const CADDY_HANDLERS: &str = "  handle_path /static/* {\n    respond \"static\" 200\n  }\n  respond \"[]\" 200\n";

#[test]
fn the_caddy_fix_takes_the_sites_handlers_into_its_route() {
    let bin = "/usr/bin/caddy";
    if !std::path::Path::new(bin).exists() {
        missing("Caddy (apt-get install caddy)");
        return;
    }
    let dir = servers::temp_dir("caddy-fix");
    let start = |site: &str| {
        let port = free_port();
        let conf = format!("{{\n  admin off\n  auto_https off\n}}\n\nhttp://127.0.0.1:{port} {{\n{site}}}\n");
        let path = dir.join(format!("Caddyfile-{port}"));
        std::fs::write(&path, conf).unwrap();
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&path)
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"));
        (Proc::start(cmd, &dir, port), port)
    };
    let (server, port) = start(&format!("{CADDY_SEED}{CADDY_HANDLERS}"));
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
    let before = check(&format!("http://127.0.0.1:{port}/items"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["stack"], "caddy", "{before}");
    let text = parts(&before)[0].1.clone();
    drop(server);

    // Applied as it says: the seed's header line removed, the site's handlers moved into the
    // route where the snippet marks their place.
    let marker =
        text.lines().find(|l| l.contains("The site's own handlers go here")).expect("marks the place").to_owned();
    let moved: String = CADDY_HANDLERS.lines().map(|l| format!("  {l}\n")).collect();
    let (_server, port) = start(&text.replace(&format!("{marker}\n"), &moved));
    let url = format!("http://127.0.0.1:{port}/items");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{text}");
    let stat = check(&format!("http://127.0.0.1:{port}/static/app.js"), PAGE, &["--credentials", "include"]);
    assert_eq!(stat["verdict"], "allowed", "the site's own handle_path still answers: {stat}");
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
}

/// The printed `src/cors.rs` of the axum fix, compiled as printed: it is the code corsair-snippet
/// renders for every policy (its own test holds that file equal to the rendering), and its
/// `include_str!("cors.toml")` reads the `cors.toml` this test wrote from the printed one.
mod applied_axum {
    use std::sync::OnceLock;

    /// The `cors.toml` the user saved: the printed one, with the old layer's lists moved in.
    pub static CORS_TOML: OnceLock<String> = OnceLock::new();

    macro_rules! include_str {
        ($file:literal) => {
            CORS_TOML.get().expect("the test writes cors.toml first").as_str()
        };
    }

    include!("../../corsair-snippet/tests/axum/cors.rs");

    /// The layer the printed code builds.
    pub fn layer() -> corsair_tower::CorsLayer {
        cors_layer().expect("the printed cors.toml loads")
    }

    /// The file compiled above, to compare with what `corsair check` printed.
    pub const CODE: &str = std::include_str!("../../corsair-snippet/tests/axum/cors.rs");
}

/// An axum app as tower-http's docs set it up: `CorsLayer` with an origin list that lacks the
/// page, methods that lack PUT, headers that lack the page's header; routes with other methods.
/// `layer` is either that mistake or the fix.
fn axum_app(cors: impl FnOnce(axum::Router) -> axum::Router) -> (tokio::runtime::Runtime, u16) {
    use axum::routing::get;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = axum::Router::new()
        .route("/items", get(|| async { "[]" }))
        .route("/items/{id}", get(|| async { "{}" }).put(|| async { "{}" }).delete(|| async { "" }));
    let app = cors(app);
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, port)
}

#[test]
fn the_axum_fix_replaces_tower_http_and_keeps_what_it_allowed() {
    use axum::http::{header, HeaderValue, Method};
    let tower_http = |app: axum::Router| {
        let origins: [HeaderValue; 2] =
            [HeaderValue::from_static("https://admin.example.com"), HeaderValue::from_static("http://localhost:3000")];
        app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::DELETE])
                .allow_headers([header::CONTENT_TYPE])
                .allow_credentials(true),
        )
    };
    let (server, port) = axum_app(tower_http);
    let url = format!("http://127.0.0.1:{port}/items/1");
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include", "--stack", "axum"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["stack"], "axum", "{before}");
    // The old layer, for comparison: its origins pass with its methods.
    let old = check(&url, "https://admin.example.com", &["-X", "DELETE", "--credentials", "include"]);
    assert_eq!(old["verdict"], "allowed", "{old}");
    let fix = parts(&before);
    assert_eq!(fix.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["cors.toml", "src/cors.rs"], "{fix:?}");
    assert_eq!(fix[1].1, applied_axum::CODE, "the printed code is the code compiled into this test");
    assert!(fix[1].1.contains("replaces tower-http's CorsLayer"), "says what it replaces: {}", fix[1].1);
    assert!(fix[1].1.contains("go into cors.toml's lists"), "says where the old lists go: {}", fix[1].1);
    drop(server);

    // Applied as it says: tower-http's layer removed, corsair-tower's added, and the old layer's
    // origins, methods and headers moved into the printed cors.toml's lists.
    let mut toml = fix[0].1.clone();
    for (key, old) in [
        ("allow_origins", "\"https://admin.example.com\", \"http://localhost:3000\", "),
        ("allow_methods", "\"GET\", \"DELETE\", "),
        ("allow_headers", "\"content-type\", "),
    ] {
        let at = format!("{key} = [");
        assert!(toml.contains(&at), "the printed cors.toml has {key}: {toml}");
        toml = toml.replacen(&at, &format!("{at}{old}"), 1);
    }
    applied_axum::CORS_TOML.set(toml.clone()).expect("set once");
    let (_server, port) = axum_app(|app| app.layer(applied_axum::layer()));
    let url = format!("http://127.0.0.1:{port}/items/1");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{toml}");
    for (origin, path, args) in [
        ("https://admin.example.com", "/items/1", &["-X", "DELETE", "--credentials", "include"][..]),
        ("http://localhost:3000", "/items", &["-H", "Content-Type: application/json", "--credentials", "include"][..]),
        (PAGE, "/items", &["--credentials", "include"][..]),
    ] {
        let v = check(&format!("http://127.0.0.1:{port}{path}"), origin, args);
        assert_eq!(v["verdict"], "allowed", "{origin} {path} {args:?} no longer passes: {v}\n{toml}");
    }
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
}

/// FastAPI's tutorial app with the usual narrow arguments: an origin list without the page, no
/// credentials, `allow_methods=["GET"]`, `allow_headers=["content-type"]`.
const FASTAPI_APP: &str = r#"from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()

origins = ['https://admin.example.com']
#FIX-ORIGINS
app.add_middleware(
    CORSMiddleware,
    allow_origins=origins,
    allow_methods=['GET'],
    allow_headers=['content-type'],
)


@app.get('/items')
async def read_items():
    return []


@app.put('/items/{id}')
async def save_item(id: int):
    return {}
#FIX-END
"#;

#[test]
fn the_fastapi_fix_extends_allow_methods_and_allow_headers_and_keeps_the_old_ones() {
    if !servers::python_has(
        "fastapi, uvicorn",
        "FastAPI and uvicorn (python3 -m pip install fastapi==0.165.0 uvicorn==0.55.0)",
    ) {
        return;
    }
    let dir = servers::temp_dir("fastapi-fix");
    let start = |app: &str| servers::uvicorn(&dir, app);
    let (server, port) = start(FASTAPI_APP);
    let url = format!("http://127.0.0.1:{port}/items/1");
    let asked = ["-X", "PUT", "-H", "X-Trace: 1", "--credentials", "include"];
    let before = check(&url, PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    assert_eq!(before["stack"], "fastapi", "{before}");
    let fix = parts(&before);
    assert_eq!(fix.len(), 2, "{fix:?}");
    assert!(fix[0].0.contains("before add_middleware") && fix[1].0.contains("end of the module"), "{fix:?}");
    let end = &fix[1].1;
    for added in
        ["'allow_credentials'] = True", "'allow_methods', ['GET']), 'PUT']", "'allow_headers', []), 'x-trace']"]
    {
        assert!(end.contains(added), "adds {added}: {end}");
    }
    // A preflight that only the old arguments allowed, to hold against the fixed app.
    let old_args = ["-H", "Content-Type: application/json"];
    let old = check(&format!("http://127.0.0.1:{port}/items"), "https://admin.example.com", &old_args);
    assert_eq!(old["verdict"], "allowed", "{old}");
    drop(server);

    let fixed = FASTAPI_APP.replace("#FIX-ORIGINS\n", &fix[0].1).replace("#FIX-END\n", end);
    let (_server, port) = start(&fixed);
    let url = format!("http://127.0.0.1:{port}/items/1");
    let after = check(&url, PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{fixed}");
    let old = check(&format!("http://127.0.0.1:{port}/items"), "https://admin.example.com", &old_args);
    assert_eq!(old["verdict"], "allowed", "the old origin, GET and content-type still pass: {old}");
    let page_get = check(&format!("http://127.0.0.1:{port}/items"), PAGE, &["--credentials", "include"]);
    assert_eq!(page_get["verdict"], "allowed", "GET, allowed before, still is: {page_get}");
    let evil = check(&url, "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
    let patch = check(&url, PAGE, &["-X", "PATCH", "--credentials", "include"]);
    assert_eq!(patch["verdict"], "blocked", "the fix added PUT, not every method: {patch}");
}

/// Express with `cors` narrowed the other way: the page's origin listed, but `methods` without
/// PUT and no credentials.
const EXPRESS_NARROW_METHODS: &str = r#"'use strict';
const express = require('express');
const cors = require('cors');
const app = express();
const corsOptions = {
  origin: ['https://admin.example.com', 'http://localhost:5173'],
  methods: ['GET', 'POST'],
};
//FIX
app.use(cors(corsOptions));
app.get('/items', (req, res) => res.json([]));
app.post('/items', (req, res) => res.status(201).json({}));
app.put('/items/:id', (req, res) => res.json({}));
const server = app.listen(Number(process.argv[2]), '127.0.0.1');
"#;

#[test]
fn the_express_fix_adds_the_method_and_credentials_and_keeps_the_methods_listed() {
    let Some(modules) = express_modules() else { return };
    let dir = servers::temp_dir("express-methods-fix");
    let start = |app: &str| express_on_a_free_port(&modules, &dir, app);
    let (server, port) = start(EXPRESS_NARROW_METHODS);
    let asked = ["-X", "PUT", "--credentials", "include"];
    let before = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    let text = parts(&before)[0].1.clone();
    assert!(text.contains("corsOptions.methods = "), "adds the method: {text}");
    assert!(text.contains("corsOptions.credentials = true"), "allows credentials: {text}");
    assert!(!text.contains("corsOptions.origin"), "the origin was listed already: {text}");
    drop(server);

    let (_server, port) = start(&EXPRESS_NARROW_METHODS.replace("//FIX\n", &text));
    let after = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{text}");
    let post = check(
        &format!("http://127.0.0.1:{port}/items"),
        "https://admin.example.com",
        &["-X", "POST", "-H", "Content-Type: application/json"],
    );
    assert_eq!(post["verdict"], "allowed", "POST, listed before, still passes: {post}");
    let delete = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &["-X", "DELETE"]);
    assert_eq!(delete["verdict"], "blocked", "the fix added PUT, not cors's default list: {delete}");
}

#[test]
fn the_django_fix_extends_cors_allow_methods_and_keeps_the_methods_listed() {
    if !servers::python_has("django, corsheaders", servers::DJANGO_INSTALL) {
        return;
    }
    let settings = DJANGO_SETTINGS.replace(
        "CORS_ALLOWED_ORIGINS = ['https://admin.example.com']",
        "CORS_ALLOWED_ORIGINS = ['http://localhost:5173']",
    ) + "CORS_ALLOW_METHODS = ['GET', 'POST', 'OPTIONS']\n";
    let dir = servers::temp_dir("django-methods-fix");
    std::fs::write(dir.join("urls.py"), DJANGO_URLS).unwrap();
    let start = |settings: &str| servers::django(&dir, settings);
    let (server, port) = start(&settings);
    let asked = ["-X", "DELETE"];
    let before = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    let text = parts(&before)[0].1.clone();
    assert!(text.contains("CORS_ALLOW_METHODS = tuple(dict.fromkeys("), "extends the setting: {text}");
    assert!(!text.contains("CORS_ALLOWED_ORIGINS ="), "the origin was listed already: {text}");
    drop(server);

    let (_server, port) = start(&format!("{settings}\n{text}"));
    let after = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "{after}\n{text}");
    let post =
        check(&format!("http://127.0.0.1:{port}/items"), PAGE, &["-X", "POST", "-H", "Content-Type: application/json"]);
    assert_eq!(post["verdict"], "allowed", "POST, listed before, still passes: {post}");
    let put = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &["-X", "PUT"]);
    assert_eq!(put["verdict"], "blocked", "the fix added DELETE, not the package's defaults: {put}");
}

/// Express with an authentication middleware mounted before `cors()`: its 401 leaves before
/// `cors` runs, so it carries no CORS headers and the page sees a CORS error instead.
const EXPRESS_AUTH_FIRST: &str = r#"'use strict';
const express = require('express');
const cors = require('cors');
const app = express();
const corsOptions = { origin: ['http://localhost:5173'], credentials: true };
app.use((req, res, next) => (req.method === 'OPTIONS' || req.headers.authorization ? next() : res.status(401).json({ error: 'login' })));
//CORS
app.use(cors(corsOptions));
//END
app.put('/items/:id', (req, res) => res.json({}));
const server = app.listen(Number(process.argv[2]), '127.0.0.1');
"#;

#[test]
fn a_401_from_middleware_before_express_cors_gets_the_fix_that_mounts_cors_first() {
    let Some(modules) = express_modules() else { return };
    let dir = servers::temp_dir("express-auth-fix");
    let start = |app: &str| express_on_a_free_port(&modules, &dir, app);
    let (server, port) = start(EXPRESS_AUTH_FIRST);
    let asked = ["-X", "PUT", "-H", "Content-Type: application/json", "--credentials", "include"];
    let before = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    let text = parts(&before)[0].1.clone();
    assert!(text.contains("The 401 came from something that runs before cors()"), "{text}");
    assert!(text.contains("mount app.use(cors(corsOptions))"), "{text}");
    assert!(!text.contains("corsOptions.origin"), "re-adds nothing: {text}");
    drop(server);

    // Applied as it says: the cors() line moved above the authentication middleware.
    let (head, rest) = EXPRESS_AUTH_FIRST.split_once("app.use((req, res, next)").expect("the auth line");
    let (auth, rest) = rest.split_once("//CORS\n").expect("marker");
    let (cors_line, tail) = rest.split_once("//END\n").expect("marker");
    let moved = format!("{head}{cors_line}app.use((req, res, next){auth}{tail}");
    let (_server, port) = start(&moved);
    let after = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "the page reads the 401 now: {after}\n{moved}");
    let last = after["requests"].as_array().unwrap().last().unwrap();
    assert_eq!(last["response"]["status"], 401, "{after}");
    let evil = check(&format!("http://127.0.0.1:{port}/items/1"), "https://evil.example", &asked);
    assert_eq!(evil["verdict"], "blocked", "{evil}");
}

/// A middleware of the project's own above CorsMiddleware, answering 403 to requests without a
/// token: its answer leaves before corsheaders runs.
const DJANGO_GUARD: &str = r#"from django.http import JsonResponse


class Guard:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != 'OPTIONS' and 'HTTP_AUTHORIZATION' not in request.META:
            return JsonResponse({'error': 'login'}, status=403)
        return self.get_response(request)
"#;

#[test]
fn a_403_from_django_middleware_above_corsheaders_gets_the_fix_that_moves_it_first() {
    if !servers::python_has("django, corsheaders", servers::DJANGO_INSTALL) {
        return;
    }
    let settings = DJANGO_SETTINGS
        .replace(
            "CORS_ALLOWED_ORIGINS = ['https://admin.example.com']",
            "CORS_ALLOWED_ORIGINS = ['http://localhost:5173']",
        )
        .replace("MIDDLEWARE = [\n", "MIDDLEWARE = [\n    'guard.Guard',\n");
    let dir = servers::temp_dir("django-guard-fix");
    std::fs::write(dir.join("urls.py"), DJANGO_URLS).unwrap();
    std::fs::write(dir.join("guard.py"), DJANGO_GUARD).unwrap();
    let (server, port) = servers::django(&dir, &settings);
    let asked = ["-X", "PUT", "-H", "Content-Type: application/json"];
    let before = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(before["verdict"], "blocked", "{before}");
    let text = parts(&before)[0].1.clone();
    assert!(text.contains("The 403 came from middleware above CorsMiddleware"), "{text}");
    assert!(!text.contains("CORS_ALLOWED_ORIGINS ="), "re-adds nothing: {text}");
    drop(server);

    let (_server, port) = servers::django(&dir, &format!("{settings}\n{text}"));
    let after = check(&format!("http://127.0.0.1:{port}/items/1"), PAGE, &asked);
    assert_eq!(after["verdict"], "allowed", "the page reads the 403 now: {after}\n{text}");
    let last = after["requests"].as_array().unwrap().last().unwrap();
    assert_eq!(last["response"]["status"], 403, "the guard still guards: {after}");
}
