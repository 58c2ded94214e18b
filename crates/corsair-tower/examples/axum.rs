//! A tiny API server behind a corsair policy.
//!
//! ```sh
//! cargo run -p corsair-tower --example axum -- [ADDR] [ORIGIN]
//! ```
//!
//! `ADDR` is where it listens (else `$LISTEN`, else `127.0.0.1:3000`; loopback only), `ORIGIN` the
//! page origin allowed to call it (else `$ALLOW_ORIGIN`, else `http://127.0.0.1:5173`). Then:
//!
//! ```sh
//! curl -i http://127.0.0.1:3000/api/items -H 'Origin: http://127.0.0.1:5173'
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/items/7 -H 'Origin: http://127.0.0.1:5173' \
//!      -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/items/7 -H 'Origin: https://evil.example' \
//!      -H 'Access-Control-Request-Method: PUT'
//! ```
//!
//! The last one is refused with 403, `corsair-refusal: origin` (debug mode, for development) and a
//! log line on the server's stderr.

use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use corsair_tower::{CorsLayer, Policy};

/// The policy: one page origin may read, write and delete items, send JSON and a request id,
/// and read the item count; browsers may cache the preflight for ten minutes.
pub fn policy(origin: &str) -> Result<Policy, corsair_tower::ConfigErrors> {
    Policy::builder()
        .allow_origin(origin)
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["content-type", "x-request-id"])
        .expose_headers(["x-total-count"])
        .max_age(600)
        .build()
}

/// The API under `/api`, behind `cors`; `/health` (for load balancers, not browsers) outside it.
pub fn app(cors: CorsLayer) -> Router {
    let api = Router::new()
        .route("/items", get(list))
        .route("/items/{id}", get(item).put(save).delete(remove))
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "the database is down") }))
        .layer(cors);
    Router::new().nest("/api", api).route("/health", get(|| async { "ok" }))
}

async fn list() -> impl IntoResponse {
    ([("x-total-count", "2")], Json(serde_json::json!([{"id": 1, "name": "anchor"}, {"id": 2, "name": "sail"}])))
}

async fn item(Path(id): Path<u32>) -> impl IntoResponse {
    match id {
        1 | 2 => Ok(Json(serde_json::json!({"id": id}))),
        _ => Err((StatusCode::NOT_FOUND, "no such item")),
    }
}

async fn save(Path(id): Path<u32>, body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], format!("{{\"saved\":{id},\"bytes\":{}}}", body.len()))
}

async fn remove(Path(_): Path<u32>) -> StatusCode {
    StatusCode::NO_CONTENT
}

/// `ADDR` and `ORIGIN` from the arguments, then the environment, then the defaults.
fn settings() -> Result<(SocketAddr, String), String> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().or_else(|| std::env::var("LISTEN").ok()).unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let origin = args
        .next()
        .or_else(|| std::env::var("ALLOW_ORIGIN").ok())
        .unwrap_or_else(|| "http://127.0.0.1:5173".to_owned());
    let addr: SocketAddr = addr.parse().map_err(|e| format!("`{addr}` is not an address like 127.0.0.1:3000: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{addr} is not a loopback address: this example listens on 127.0.0.0/8 or ::1 only"));
    }
    Ok((addr, origin))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let (addr, origin) = settings().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let policy = policy(&origin).unwrap_or_else(|errors| {
        eprintln!("error: the policy does not build:\n{errors}");
        std::process::exit(2);
    });
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap_or_else(|e| {
        eprintln!("error: cannot listen on {addr}: {e}");
        std::process::exit(1);
    });
    println!("listening on http://{}, allowing {origin}", listener.local_addr().unwrap_or(addr));
    let cors = CorsLayer::new(policy).debug(true);
    if let Err(e) = axum::serve(listener, app(cors)).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
