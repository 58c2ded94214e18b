//! The axum + corsair-tower snippet, compiled and run: `tests/axum/cors.rs` and `cors.toml` are
//! the rendered snippet for the test policy (this test fails when rendering drifts from them;
//! `SNIPPET_BLESS=1` rewrites them), the code is compiled into this test with `include!`, and the
//! layer it builds serves a real axum app on loopback across the matrix.

mod common;

mod generated {
    include!("axum/cors.rs");

    pub fn layer() -> corsair_tower::CorsLayer {
        cors_layer().expect("the generated policy file loads")
    }
}

use std::path::PathBuf;

use axum::http::StatusCode;
use axum::routing::{any, get};
use axum::Router;
use common::{run_matrix, Leeway};
use corsair_snippet::{render, Stack};

#[test]
fn axum_snippet_is_the_compiled_one() {
    let snippet = render(&common::policy(), Stack::Axum);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/axum");
    for (part, file) in snippet.parts.iter().zip(["cors.toml", "cors.rs"]) {
        let path = dir.join(file);
        if std::env::var("SNIPPET_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &part.text).expect("bless");
        }
        let golden = std::fs::read_to_string(&path).expect("golden file");
        assert_eq!(
            golden,
            part.text,
            "{} differs from the rendered snippet; SNIPPET_BLESS=1 rewrites it",
            path.display()
        );
    }
}

#[test]
fn axum_snippet_agrees_with_decide() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = Router::new()
        .route("/", any(|| async { "ok\n" }))
        .route("/error", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .layer(generated::layer());
    runtime.spawn(async move { axum::serve(listener, app).await });
    run_matrix("axum", &common::policy(), port, Leeway::default());
}
