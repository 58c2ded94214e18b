//! corsair-tower against its peer, tower-http's `CorsLayer`, in the same run.
//!
//! Both layers wrap the same trivial inner service (`tower::service_fn` answering the way a
//! handler does: a new response with one `Content-Type` line), and are given equivalent
//! policies. Each case is one criterion group with two functions, `corsair` and `tower-http`.
//! Timed, per iteration: a clone of the case's request (as a server hands each request over
//! owned), `Service::call`, polling the response future to completion, and dropping the
//! response (as a server does once it has written it). Memory is reused from one iteration to
//! the next, as in a server; batched inputs would time the page faults of fresh batches more
//! than either layer.
//!
//! A third function per group, `harness`, does the same with no layer: the clone, the inner
//! service and the drop of its response, or for preflights (which both layers answer
//! themselves) the clone and the drop of the request. That is the work neither layer can avoid;
//! `bench.sh` gives, for each case, the ratio of the totals and the ratio of what each layer adds
//! on top of the harness.
//!
//! Run `crates/corsair-tower/bench.sh` for the runs and the ratio table, or
//! `cargo bench -p corsair-tower --bench cors` for criterion's own report.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use tower::Layer;

use corsair_tower::CorsLayer;

mod cases;
use cases::{assert_equivalent, call, cases, inner};

fn bench(c: &mut Criterion) {
    for case in cases() {
        let answered = case.answered();
        let mut corsair = CorsLayer::new(case.corsair.clone()).layer(inner());
        let mut tower_http = case.tower_http.clone().layer(inner());
        let a = call(&mut corsair, case.request.clone());
        let b = call(&mut tower_http, case.request.clone());
        assert_equivalent(&case, &a, &b);

        let mut group = c.benchmark_group(case.name);
        let request = &case.request;
        let mut alone = inner();
        if answered {
            group.bench_function("harness", |b| b.iter(|| drop(black_box(black_box(request).clone()))));
        } else if case.cloned {
            group.bench_function("harness", |b| {
                b.iter(|| drop(black_box(call(&mut alone.clone(), black_box(request).clone()))))
            });
        } else {
            group.bench_function("harness", |b| {
                b.iter(|| drop(black_box(call(&mut alone, black_box(request).clone()))))
            });
        }
        if case.cloned {
            group.bench_function("corsair", |b| {
                b.iter(|| drop(black_box(call(&mut corsair.clone(), black_box(request).clone()))))
            });
            group.bench_function("tower-http", |b| {
                b.iter(|| drop(black_box(call(&mut tower_http.clone(), black_box(request).clone()))))
            });
        } else {
            group.bench_function("corsair", |b| {
                b.iter(|| drop(black_box(call(&mut corsair, black_box(request).clone()))))
            });
            group.bench_function("tower-http", |b| {
                b.iter(|| drop(black_box(call(&mut tower_http, black_box(request).clone()))))
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
