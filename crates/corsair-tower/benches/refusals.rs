//! What a flood of forged origins costs with a real `tracing_subscriber::fmt` subscriber on:
//! corsair-tower (which logs refusals, at most `MAX_REFUSAL_EVENTS_PER_SECOND` a second per
//! layer) against tower-http (which logs nothing and sends the request on without CORS headers)
//! in the same process, interleaved.
//!
//! Each round times a batch of every variant in turn (the order rotates each round), and the
//! table gives each variant's median over the rounds, in ns per request. Two phases: with no
//! subscriber, then with the process-wide `fmt` subscriber a service installs at start (which
//! cannot be removed again, hence the order). Requests carry a
//! different forged origin each (4096 distinct, cycled), as an attacker's would. The subscriber
//! formats every event it records (INFO, no ANSI) into a writer that counts lines and discards
//! them, so formatting is timed and the disk is not.
//!
//! `cargo bench -p corsair-tower --bench refusals` (ROUNDS and BATCH in the environment change
//! the defaults of 31 rounds of 20,000 requests).

use std::hint::black_box;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Request};
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer as TowerCorsLayer};

use corsair_tower::{CorsLayer, Policy};

// The shared cases module; only its request helpers are used here.
#[allow(dead_code)]
mod cases;
use cases::{call, inner, request};

const APP: &str = "https://app.example.com";

/// A writer that counts the lines the subscriber wrote, and keeps none of them.
#[derive(Clone, Default)]
struct Lines(Arc<AtomicU64>);

impl io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(buf.iter().filter(|&&b| b == b'\n').count() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (rounds, batch) = if quick { (3, 200) } else { (env("ROUNDS", 31), env("BATCH", 20_000)) };

    let forged: Vec<Request<()>> = (0..4096)
        .map(|i| request("GET", &[("origin", &format!("https://evil-{i}.example")), ("accept", "*/*")]))
        .collect();
    let allowed = request("GET", &[("origin", APP), ("accept", "*/*")]);

    let policy = Policy::builder().allow_origin(APP).build().unwrap();
    let mut corsair = CorsLayer::new(policy).layer(inner());
    let mut corsair_allowed = corsair.clone();
    let mut corsair_quiet = corsair.clone();
    let mut tower_http =
        TowerCorsLayer::new().allow_origin(AllowOrigin::exact(HeaderValue::from_static(APP))).layer(inner());
    let mut alone = inner();

    type Variant<'a> = (&'static str, Box<dyn FnMut(usize) + 'a>);
    // Rounds of batches, each variant in turn, the order rotating: the median per variant.
    let interleave = |variants: &mut [Variant]| -> Vec<f64> {
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
        for round in 0..rounds {
            for k in 0..variants.len() {
                let v = (round + k) % variants.len();
                let t = Instant::now();
                for i in 0..batch {
                    (variants[v].1)(black_box(i));
                }
                samples[v].push(t.elapsed().as_nanos() as f64 / batch as f64);
            }
        }
        samples
            .into_iter()
            .map(|mut v| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
            .collect()
    };

    // Phase 1, no subscriber: the refusal costs nothing but the check that nobody listens.
    let quiet = interleave(&mut [
        ("corsair, refused origins", Box::new(|i| drop(black_box(call(&mut corsair_quiet, forged[i % 4096].clone()))))),
        ("tower-http, refused origins", Box::new(|i| drop(black_box(call(&mut tower_http, forged[i % 4096].clone()))))),
    ]);

    // Phase 2, the process-wide `fmt` subscriber a service installs at start (it cannot be
    // taken back, hence the phases).
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .init();
    let started = Instant::now();
    let mut variants: Vec<Variant> = vec![
        ("harness, refused origins", Box::new(|i| drop(black_box(call(&mut alone, forged[i % 4096].clone()))))),
        ("corsair, allowed origin", Box::new(|_| drop(black_box(call(&mut corsair_allowed, allowed.clone()))))),
        ("corsair, refused origins", Box::new(|i| drop(black_box(call(&mut corsair, forged[i % 4096].clone()))))),
        ("tower-http, refused origins", Box::new(|i| drop(black_box(call(&mut tower_http, forged[i % 4096].clone()))))),
    ];
    let medians = interleave(&mut variants);
    let seconds = started.elapsed().as_secs_f64();
    let refused_calls = (rounds * batch) as u64;

    println!("| variant | no subscriber: median ns / request | fmt subscriber on: median ns / request |");
    println!("|---|---:|---:|");
    let [harness, allowed, refused, peer] = medians[..] else { unreachable!() };
    println!("| harness (no layer), refused origins | | {harness:.0} |");
    println!("| corsair, allowed origin | | {allowed:.0} |");
    println!("| corsair, refused origins | {:.0} | {refused:.0} |", quiet[0]);
    println!("| tower-http, refused origins | {:.0} | {peer:.0} |", quiet[1]);
    println!();
    println!(
        "subscriber on: corsair refused / allowed {:.2}x; tower-http / corsair on refused origins {:.2}x (what each adds to the harness: {:.2}x). No subscriber: tower-http / corsair {:.2}x.",
        refused / allowed,
        peer / refused,
        (peer - harness) / (refused - harness),
        quiet[1] / quiet[0]
    );
    println!(
        "events written: {} for {refused_calls} refused requests in {seconds:.1} s (at most {} a second)",
        lines.0.load(Ordering::Relaxed),
        corsair_tower::MAX_REFUSAL_EVENTS_PER_SECOND
    );
}
