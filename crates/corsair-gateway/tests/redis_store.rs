//! The Redis rate-limit store against a real `redis-server` the test starts on loopback: the
//! same answers as the memory store for the same quota and request times, and what happens
//! when Redis goes away and comes back.
//!
//! Without `redis-server` the tests print a SKIPPED line; under `CI=true` they fail.

use std::time::{Duration, Instant};

use corsair_gateway::ratelimit::{Admission, ManualClock, MemoryStore, Quota, RateKey, RateStore, RedisStore};
use corsair_testkit::redis::RedisServer;

fn store(redis: &RedisServer, prefix: &str) -> RedisStore {
    RedisStore::new(redis.url().parse().unwrap(), prefix, Duration::from_secs(2))
}

/// GCRA as the protocol defines it, in nanoseconds, returning how far the answer is from the
/// other one: for an admission, how long before now the request became admissible; for a
/// refusal, the wait. A decision closer to its boundary than the clocks can be compared is not
/// a disagreement.
struct Model {
    tat: Option<u64>,
    t: u64,
    tau: u64,
}

impl Model {
    fn new(q: &Quota) -> Model {
        let t = q.emission_interval().as_nanos() as u64;
        Model { tat: None, t, tau: t * u64::from(q.burst() - 1) }
    }

    /// `(admitted, margin in ns)`.
    fn step(&mut self, now: u64) -> (bool, u64) {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let allowed_from = tat.saturating_sub(self.tau);
        if allowed_from > now {
            return (false, allowed_from - now);
        }
        self.tat = Some(tat + self.t);
        (true, now - allowed_from)
    }
}

/// Sends requests at `offsets_ms` (from the first) to Redis under `quota`, and the same times to
/// a memory store on a manual clock set to when each request was sent. Returns how many
/// admissions and refusals were compared, and how many decisions were too close to their
/// boundary to compare (the last admissions of a burst always are: GCRA admits them with no
/// slack).
async fn compare(store: &RedisStore, client: &str, quota: &str, offsets_ms: &[u64]) -> [usize; 3] {
    let q: Quota = quota.parse().unwrap();
    // A connection made and the script loaded before the clock starts: round trips are then
    // one exchange each.
    store.acquire(&RateKey::client("192.0.2.250".parse().unwrap()), &q).await.unwrap();
    let key = RateKey::client(client.parse().unwrap());
    let clock = ManualClock::default();
    let memory = MemoryStore::with_clock(1000, clock.clone());
    let mut model = Model::new(&q);
    let start = Instant::now();
    let (mut first_rtt, mut at) = (None, Duration::ZERO);
    let [mut admitted, mut refused, mut close] = [0; 3];
    for (i, &offset) in offsets_ms.iter().enumerate() {
        tokio::time::sleep_until((start + Duration::from_millis(offset)).into()).await;
        let sent = start.elapsed();
        let redis = store.acquire(&key, &q).await.unwrap_or_else(|e| panic!("request {i}: {e}"));
        let rtt = start.elapsed() - sent;
        let first = *first_rtt.get_or_insert(rtt);
        clock.advance(sent - at);
        at = sent;
        let local = memory.admit(&key, &q);
        let (model_admits, margin) = model.step(sent.as_nanos() as u64);
        assert_eq!(local == Admission::Allowed, model_admits, "the memory store runs GCRA (request {i})");
        // Redis timed request 0 and request i somewhere inside their round trips.
        let uncertainty = first + rtt + Duration::from_millis(2);
        if Duration::from_nanos(margin) <= uncertainty {
            close += 1;
            continue;
        }
        match (redis, local) {
            (Admission::Allowed, Admission::Allowed) => admitted += 1,
            (Admission::Limited { retry_after: r }, Admission::Limited { retry_after: m }) => {
                refused += 1;
                let diff = r.abs_diff(m);
                assert!(
                    diff <= uncertainty,
                    "{quota}, request {i} at {sent:?}: retry after {r:?} (Redis) vs {m:?} (memory)"
                );
            }
            (r, m) => {
                panic!("{quota}, request {i} at {sent:?}: Redis says {r:?}, memory says {m:?} (margin {margin} ns)")
            }
        }
    }
    [admitted, refused, close]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_gives_the_memory_stores_answers_for_the_same_times() {
    let Some(redis) = RedisServer::for_tests() else { return };
    let store = store(&redis, "test:same:");
    // A burst past the quota, a partial refill, a full refill, then a steady rate above the
    // quota: every GCRA branch, with boundaries tens of milliseconds from the request times.
    let mut burst_then_refill: Vec<u64> = vec![0; 12];
    burst_then_refill.extend([250; 4]);
    burst_then_refill.extend([1_200; 3]);
    burst_then_refill.extend([2_600; 11]);
    burst_then_refill.extend((0..10).map(|i| 3_000 + 60 * i));
    let a = compare(&store, "192.0.2.1", "10/second", &burst_then_refill).await;
    // An irregular pattern (a fixed pseudo-random walk) under a small quota.
    let mut walk = Vec::new();
    let (mut t, mut x) = (0u64, 7u64);
    for _ in 0..40 {
        walk.push(t);
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        t += [0, 0, 45, 120, 210, 333][(x >> 33) as usize % 6];
    }
    let b = compare(&store, "192.0.2.2", "3/second", &walk).await;
    let [admitted, refused, close] = [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
    eprintln!("compared {admitted} admissions and {refused} refusals; {close} too close to a boundary to compare");
    assert!(
        admitted >= 20 && refused >= 20 && close <= 25,
        "{admitted} admissions, {refused} refusals, {close} too close"
    );
    // The key lives in Redis under the prefix, and expires when its TAT passes.
    let ttl = redis.command(&["PTTL", "test:same:c4:192.0.2.2"]).unwrap();
    let ms: i64 = ttl.trim_start_matches(':').parse().unwrap();
    assert!((1..=1_000).contains(&ms), "PTTL {ttl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flushed_script_is_sent_again_and_instances_share_one_count() {
    let Some(redis) = RedisServer::for_tests() else { return };
    let (a, b) = (store(&redis, "test:shared:"), store(&redis, "test:shared:"));
    let other = store(&redis, "test:other:");
    let q: Quota = "4/minute".parse().unwrap();
    let key = RateKey::client("198.51.100.7".parse().unwrap());
    assert_eq!(a.acquire(&key, &q).await.unwrap(), Admission::Allowed);
    // Redis forgets the script: EVALSHA answers NOSCRIPT, and the store falls back to EVAL.
    assert_eq!(redis.command(&["SCRIPT", "FLUSH"]).unwrap(), "+OK");
    assert_eq!(b.acquire(&key, &q).await.unwrap(), Admission::Allowed);
    assert_eq!(a.acquire(&key, &q).await.unwrap(), Admission::Allowed);
    assert_eq!(b.acquire(&key, &q).await.unwrap(), Admission::Allowed);
    for s in [&a, &b] {
        match s.acquire(&key, &q).await.unwrap() {
            Admission::Limited { retry_after } => {
                assert!(
                    retry_after > Duration::from_secs(14) && retry_after <= Duration::from_secs(15),
                    "{retry_after:?}"
                )
            }
            other => panic!("the fifth request of a 4/minute quota was {other:?}"),
        }
    }
    // Another prefix is another limiter.
    assert_eq!(other.acquire(&key, &q).await.unwrap(), Admission::Allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_redis_is_an_error_in_time_and_a_restarted_one_serves_again() {
    let Some(mut redis) = RedisServer::for_tests() else { return };
    let store = RedisStore::new(redis.url().parse().unwrap(), "test:restart:", Duration::from_millis(300));
    let q: Quota = "2/minute".parse().unwrap();
    let key = RateKey::client("203.0.113.9".parse().unwrap());
    assert_eq!(store.acquire(&key, &q).await.unwrap(), Admission::Allowed);
    redis.stop();
    for _ in 0..3 {
        let began = Instant::now();
        let error = store.acquire(&key, &q).await.unwrap_err().to_string();
        assert!(began.elapsed() < Duration::from_millis(600), "{error} after {:?}", began.elapsed());
        assert!(error.contains("rate-limit store"), "{error}");
    }
    redis.start();
    // Nothing was saved: a fresh count, once the store has reconnected.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match store.acquire(&key, &q).await {
            Ok(answer) => {
                assert_eq!(answer, Admission::Allowed);
                break;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("still failing: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no recovery within 5 s of the restart: {e}"),
        }
    }
    assert_eq!(store.acquire(&key, &q).await.unwrap(), Admission::Allowed);
    assert!(matches!(store.acquire(&key, &q).await.unwrap(), Admission::Limited { .. }));
}
