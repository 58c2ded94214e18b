//! `corsair ui`: serves the web page (`web/` at the repository's root, embedded here) on
//! loopback. The page runs corsair's core as WebAssembly in the tab and sends nothing anywhere;
//! this server only hands out its four files. `--write DIR` writes the same files as a static
//! site instead.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;

use crate::status::Status;

const UI_HELP: &str = "\
The page explains pasted console messages and dropped HAR files, checks a policy as you type,
decides requests you describe, and writes the policy for each server stack: the same core as
`corsair explain`, `explain --har`, `policy check` and `snippet`, compiled to WebAssembly and run
in the browser tab. The page makes no network requests (its Content-Security-Policy forbids
them), so HAR files with cookies and tokens never leave the machine.

corsair ui prints the URL and opens nothing. It listens on loopback only, unless
--allow-remote says otherwise.

Exit status:
  0  stopped with Ctrl-C, or the files were written
  2  bad flags, the address is taken, or (with --write) the directory cannot be written or this
     corsair was built without the WebAssembly module";

/// Flags of `corsair ui`.
#[derive(Debug, Clone, Args)]
#[command(after_help = UI_HELP)]
pub struct UiArgs {
    /// The address to serve the page on (port 0: any free port; the URL says which).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7455")]
    pub listen: SocketAddr,
    /// Listen on an address other than loopback: anyone who can reach it can load the page (it
    /// holds no secrets; what users paste stays in their tab).
    #[arg(long)]
    pub allow_remote: bool,
    /// Write the page's files into DIR (a static site: any web server can serve them) instead of
    /// serving them.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["listen", "allow_remote"])]
    pub write: Option<PathBuf>,
}

/// The page's Content-Security-Policy, sent as a header too (a header can also forbid framing).
/// It matches the `<meta>` in web/index.html.
const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The page's files: name, media type, bytes.
const FILES: [(&str, &str, &[u8]); 4] = [
    ("index.html", "text/html; charset=utf-8", include_bytes!("../../../../web/index.html")),
    ("style.css", "text/css; charset=utf-8", include_bytes!("../../../../web/style.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../../../web/app.js")),
    ("corsair_web.js", "text/javascript; charset=utf-8", include_bytes!(concat!(env!("OUT_DIR"), "/corsair_web.js"))),
];

/// Bytes of WebAssembly embedded (0: built without it).
const WASM_BYTES: &str = env!("EMBEDDED_WEB_WASM_BYTES");

/// How to build the module, for a corsair built without it.
const HOW_TO_BUILD: &str = "this corsair was built without the page's WebAssembly module; build it, then corsair:
  rustup target add wasm32-unknown-unknown
  cargo build -p corsair-web --target wasm32-unknown-unknown --profile wasm
  CORSAIR_WEB_WASM=target/wasm32-unknown-unknown/wasm/corsair_web.wasm cargo build -p corsair
(docs/ui.md)";

fn embedded() -> bool {
    WASM_BYTES != "0"
}

/// Runs `corsair ui`.
pub fn run(args: &UiArgs, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    if let Some(dir) = &args.write {
        return write_site(dir, out, err);
    }
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        let _ = writeln!(
            err,
            "corsair: refusing to serve the page on {}, which is not a loopback address: add --allow-remote if other machines should load it",
            args.listen.ip()
        );
        return Status::Usage;
    }
    if !embedded() {
        let _ = writeln!(err, "corsair: warning: {HOW_TO_BUILD}");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_io().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "corsair: cannot start: {e}");
            return Status::Usage;
        }
    };
    runtime.block_on(serve(args.listen, out, err))
}

async fn serve(listen: SocketAddr, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "corsair: cannot listen on {listen}: {e}");
            return Status::Usage;
        }
    };
    let Ok(local) = listener.local_addr() else {
        let _ = writeln!(err, "corsair: cannot read the address listened on");
        return Status::Usage;
    };
    let _ = writeln!(out, "corsair ui: http://{local}/  (Ctrl-C stops)");
    let _ = out.flush();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|r| async move { Ok::<_, std::convert::Infallible>(answer(&r)) });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            _ = tokio::signal::ctrl_c() => return Status::Ok,
        }
    }
}

/// The answer to one request: a file, or 404/405.
fn answer(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    let name = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
    let file = FILES.iter().find(|(n, _, _)| *n == name);
    let (status, media, body): (StatusCode, &str, &'static [u8]) = match (request.method(), file) {
        (&Method::GET | &Method::HEAD, Some((_, media, bytes))) => (StatusCode::OK, media, bytes),
        (&Method::GET | &Method::HEAD, None) => (StatusCode::NOT_FOUND, "text/plain; charset=utf-8", b"not found\n"),
        _ => (StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", b"GET only\n"),
    };
    let body = if request.method() == Method::HEAD { Bytes::new() } else { Bytes::from_static(body) };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_str(media).unwrap_or(HeaderValue::from_static("text/plain")));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
    response
}

/// Writes the four files into `dir` (created if missing).
fn write_site(dir: &std::path::Path, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    if !embedded() {
        let _ = writeln!(err, "corsair: {HOW_TO_BUILD}");
        return Status::Usage;
    }
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| FILES.iter().try_for_each(|(name, _, bytes)| std::fs::write(dir.join(name), bytes)));
    match written {
        Ok(()) => {
            let names: Vec<&str> = FILES.iter().map(|(n, _, _)| *n).collect();
            let _ = writeln!(out, "wrote {} into {}: serve them as they are", names.join(", "), dir.display());
            Status::Ok
        }
        Err(e) => {
            let _ = writeln!(err, "corsair: cannot write into {}: {e}", dir.display());
            Status::Usage
        }
    }
}
