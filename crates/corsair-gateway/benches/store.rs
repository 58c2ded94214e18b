//! What one rate-limit decision costs on the Redis store against its peer, the memory store,
//! in the same run: `cargo bench -p corsair-gateway --bench store`.
//!
//! Rounds alternate the two stores (A, B, A, B, ...) so that a change in the machine's load
//! falls on both; each round times a batch of decisions over 1000 client keys, and the report
//! gives the median per decision of each store, and their ratio. Two shapes: one decision at a
//! time (the latency a request waits) and 32 in flight (what a busy instance pays per decision).
//! The Redis is a real `redis-server` the bench starts on a free loopback port.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corsair_gateway::ratelimit::{MemoryStore, Quota, RateKey, RateStore, RedisStore};
use corsair_testkit::redis::RedisServer;

const ROUNDS: usize = 15;
const BATCH: usize = 2_000;
const IN_FLIGHT: usize = 32;

fn client(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0xC633_6400 + (i % 1000) as u32))
}

/// Per-decision time of `BATCH` decisions, `tasks` at a time.
async fn batch<S: RateStore>(store: &Arc<S>, quota: Quota, tasks: usize, round: usize) -> Duration {
    let began = Instant::now();
    let per_task = BATCH / tasks;
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..per_task {
                    let key = RateKey::client(client(round * BATCH + t * per_task + i));
                    store.acquire(&key, &quota).await.expect("the store answers");
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("no panic");
    }
    began.elapsed() / (per_task * tasks) as u32
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this without it.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Some(redis) = RedisServer::for_tests() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let quota: Quota = "1000000/minute".parse().unwrap();
        let memory = Arc::new(MemoryStore::default());
        let shared = Arc::new(RedisStore::new(redis.url().parse().unwrap(), "bench:", Duration::from_secs(1)));
        println!("per decision, median of {ROUNDS} interleaved rounds of {BATCH} (1000 client keys):");
        for tasks in [1, IN_FLIGHT] {
            // Warm both: connections, the script, the tables.
            batch(&memory, quota, tasks, 0).await;
            batch(&shared, quota, tasks, 0).await;
            let (mut m, mut r) = (Vec::new(), Vec::new());
            for round in 1..=ROUNDS {
                m.push(batch(&memory, quota, tasks, round).await);
                r.push(batch(&shared, quota, tasks, round).await);
            }
            let (m, r) = (median(m), median(r));
            println!(
                "  {tasks:>2} in flight: memory {:>8.3} us   redis {:>8.3} us   redis/memory {:>7.0}x",
                micros(m),
                micros(r),
                micros(r) / micros(m).max(0.001)
            );
        }
    });
}
