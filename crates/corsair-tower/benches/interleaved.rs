//! Time per request, corsair-tower against tower-http, in interleaved rounds.
//!
//! criterion (`cors.rs`) times one way for seconds, then the next: on a shared machine the clock
//! speed and the neighbours change in between, and a ratio of two such medians moves by 15% from
//! run to run. Here the three ways of a case (`harness`: the request clone, the inner service and
//! the drops with no layer; `corsair`; `tower-http`) take turns: each round times one batch of
//! each (about a millisecond, the order rotating from round to round), and a case's ratio is the
//! median over the rounds of the ratio within each round, so drift between rounds cancels.
//! What a layer adds is its time less the harness's in the same round.
//!
//! `cargo bench -p corsair-tower --bench interleaved` prints the table (markdown);
//! `-- NAME` runs the cases whose name contains NAME; `-- --rounds N` sets the rounds (default
//! 101). Judge changes by `instructions.rs`, which does not move with the machine; this one says
//! what the instructions cost in time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tower::Layer;

use corsair_tower::CorsLayer;

mod cases;
use cases::{assert_equivalent, call, cases, inner, Case};

/// How long one batch of one way runs, about.
const BATCH: Duration = Duration::from_millis(1);

/// One way of a case: runs `n` requests.
type Way<'a> = Box<dyn FnMut(u64) + 'a>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let rounds = match args.iter().position(|a| a == "--rounds") {
        Some(at) => args.get(at + 1).and_then(|n| n.parse().ok()).expect("--rounds N"),
        None => 101,
    };
    let filter = args.iter().enumerate().find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--rounds"));
    let filter = filter.map(|(_, a)| a.as_str()).unwrap_or("");

    println!("| case | harness | corsair | tower-http | tower-http / corsair | added: corsair | added: tower-http | added: tower-http / corsair |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut least: Option<(f64, &str)> = None;
    for case in cases().into_iter().filter(|c| c.name.contains(filter)) {
        let row = time(&case, rounds);
        println!(
            "| {} | {} | {} | {} | {:.2}x | {} | {} | **{:.2}x** |",
            case.name,
            ns(row.harness),
            ns(row.corsair),
            ns(row.tower_http),
            row.total_ratio,
            ns(row.corsair - row.harness),
            ns(row.tower_http - row.harness),
            row.added_ratio
        );
        if least.is_none_or(|(r, _)| row.added_ratio < r) {
            least = Some((row.added_ratio, case.name));
        }
    }
    if let Some((ratio, name)) = least {
        println!("\nLeast added ratio: {ratio:.2}x ({name}).");
    }
    println!(
        "Medians of {rounds} interleaved rounds (ns per request; a ratio is the median of the rounds' ratios); \
         added: total minus harness, round by round."
    );
}

/// A case's medians.
struct Row {
    harness: f64,
    corsair: f64,
    tower_http: f64,
    total_ratio: f64,
    added_ratio: f64,
}

fn time(case: &Case, rounds: usize) -> Row {
    let mut corsair = CorsLayer::new(case.corsair.clone()).layer(inner());
    let mut tower_http = case.tower_http.clone().layer(inner());
    assert_equivalent(case, &call(&mut corsair, case.request.clone()), &call(&mut tower_http, case.request.clone()));
    let request = &case.request;
    let (answered, cloned) = (case.answered(), case.cloned);
    let mut alone = inner();
    let mut ways: [Way<'_>; 3] = [
        Box::new(move |n| {
            if answered {
                (0..n).for_each(|_| drop(black_box(black_box(request).clone())));
            } else {
                serve(&mut alone, request, cloned, n);
            }
        }),
        Box::new(move |n| serve(&mut corsair, request, cloned, n)),
        Box::new(move |n| serve(&mut tower_http, request, cloned, n)),
    ];
    // Batch sizes: each way's batch takes about BATCH.
    let sizes: Vec<u64> = ways
        .iter_mut()
        .map(|way| {
            let mut n = 64;
            loop {
                let start = Instant::now();
                way(n);
                if start.elapsed() >= BATCH / 4 {
                    break (n * 4).max(1);
                }
                n *= 2;
            }
        })
        .collect();
    let mut per_round = Vec::with_capacity(rounds);
    for round in 0..rounds + 5 {
        let mut t = [0f64; 3];
        for k in 0..3 {
            let w = (round + k) % 3;
            let start = Instant::now();
            ways[w](sizes[w]);
            t[w] = start.elapsed().as_nanos() as f64 / sizes[w] as f64;
        }
        if round >= 5 {
            per_round.push(t);
        }
    }
    let median = |f: &dyn Fn(&[f64; 3]) -> f64| {
        let mut v: Vec<f64> = per_round.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Row {
        harness: median(&|t| t[0]),
        corsair: median(&|t| t[1]),
        tower_http: median(&|t| t[2]),
        total_ratio: median(&|t| t[2] / t[1]),
        added_ratio: median(&|t| (t[2] - t[0]) / (t[1] - t[0])),
    }
}

/// `n` requests through `service`, or through a fresh clone of it per request (as axum does).
fn serve<S>(service: &mut S, request: &http::Request<()>, cloned: bool, n: u64)
where
    S: tower::Service<http::Request<()>, Response = http::Response<String>, Error = std::convert::Infallible> + Clone,
{
    for _ in 0..n {
        if cloned {
            drop(black_box(call(&mut service.clone(), black_box(request).clone())));
        } else {
            drop(black_box(call(service, black_box(request).clone())));
        }
    }
}

/// Nanoseconds as the tables write them.
fn ns(t: f64) -> String {
    if t >= 1000.0 {
        format!("{:.2} us", t / 1000.0)
    } else {
        format!("{t:.0} ns")
    }
}
