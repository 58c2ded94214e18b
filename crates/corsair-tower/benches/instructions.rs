//! Instructions per request, corsair-tower against tower-http, counted by valgrind's callgrind.
//!
//! Time on a shared 2-core machine moves by 15% from one run to the next; instruction counts do
//! not (corsair's repeat to one instruction, tower-http's to 3%), so they settle a ratio that
//! `cors.rs`'s times leave open. Each case of `cases/` runs three ways (`harness`: the request
//! clone, the inner service and the drops with no layer; `corsair`; `tower-http`), each in its
//! own process under callgrind, once with `ITERATIONS` requests and once with none: the
//! difference over `ITERATIONS` is the cost of one request, with the setup (building the policy,
//! the layer, valgrind's own start) taken out.
//!
//! `cargo bench -p corsair-tower --bench instructions` prints the table (valgrind must be on the
//! PATH: `apt-get install valgrind`); `-- --list` prints the cases' names in order. A count is not a time (a cache miss costs more than an
//! add), which is why both benchmarks exist.

use std::hint::black_box;
use std::process::Command;

use tower::Layer;

use corsair_tower::CorsLayer;

mod cases;
use cases::{assert_equivalent, call, cases, inner, Case};

const ITERATIONS: u64 = 20_000;
const WAYS: [&str; 3] = ["harness", "corsair", "tower-http"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--run") {
        let (case, way, n) = (&args[at + 1], &args[at + 2], args[at + 3].parse().expect("a count"));
        run(case, way, n);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        // The matrix in order, for bench.sh's time table.
        for case in cases() {
            println!("{}", case.name);
        }
        return;
    }
    let exe = std::env::current_exe().expect("the benchmark's own path");
    println!("| case | harness | corsair | tower-http | tower-http / corsair | added: corsair | added: tower-http | added: tower-http / corsair |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for case in cases() {
        let corsair = call(&mut CorsLayer::new(case.corsair.clone()).layer(inner()), case.request.clone());
        assert_equivalent(&case, &corsair, &call(&mut case.tower_http.clone().layer(inner()), case.request.clone()));
        let [h, c, t] = WAYS.map(|way| {
            let count = |n| collected(&exe, case.name, way, n);
            (count(ITERATIONS) - count(0)) as f64 / ITERATIONS as f64
        });
        println!(
            "| {} | {h:.0} | {c:.0} | {t:.0} | {:.2}x | {:.0} | {:.0} | **{:.2}x** |",
            case.name,
            t / c,
            c - h,
            t - h,
            (t - h) / (c - h)
        );
    }
    println!("\nInstructions per request (callgrind, {ITERATIONS} requests less none); added: total minus harness.");
}

/// Instructions callgrind counted in one run of this program as `--run CASE WAY N`.
fn collected(exe: &std::path::Path, case: &str, way: &str, n: u64) -> u64 {
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["--run", case, way, &n.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run valgrind ({e}); install it: apt-get install valgrind"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{case} {way}: the run failed:\n{stderr}");
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").map(|(_, n)| n.trim().parse().expect("a count")))
        .unwrap_or_else(|| panic!("no instruction count in callgrind's output:\n{stderr}"))
}

/// One process's work: set up, answer one request (first-use costs), then `n` more.
fn run(name: &str, way: &str, n: u64) {
    let case = cases().into_iter().find(|c| c.name == name).expect("a known case");
    let answered = case.answered();
    let Case { request, corsair, tower_http, cloned, .. } = case;
    match way {
        "harness" if answered => repeat(n, || drop(black_box(black_box(&request).clone()))),
        "harness" => serve(n, inner(), &request, cloned),
        "corsair" => serve(n, CorsLayer::new(corsair).layer(inner()), &request, cloned),
        "tower-http" => serve(n, tower_http.layer(inner()), &request, cloned),
        _ => panic!("unknown way {way}"),
    }
}

/// `n` requests through `service`, or through a fresh clone of it per request.
fn serve<S>(n: u64, mut service: S, request: &http::Request<()>, cloned: bool)
where
    S: tower::Service<http::Request<()>, Response = http::Response<String>, Error = std::convert::Infallible> + Clone,
{
    if cloned {
        repeat(n, || drop(black_box(call(&mut service.clone(), black_box(request).clone()))));
    } else {
        repeat(n, || drop(black_box(call(&mut service, black_box(request).clone()))));
    }
}

fn repeat(n: u64, mut once: impl FnMut()) {
    once();
    for _ in 0..n {
        once();
    }
}
