//! Heap allocations on the request path, counted by a global allocator: recording a metric,
//! and admitting a request through the in-memory rate-limit store, allocate nothing.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corsair_gateway::metrics::{Kind, Metrics, Outcome, Reason, Reload, UpstreamError};
use corsair_gateway::ratelimit::{Admission, ManualClock, MemoryStore, Quota, RateKey, RateLimiter, RateStore};
use corsair_testkit::alloc_count::{counted, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Polls a future once; the memory store's futures are ready at once.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

fn quota(text: &str) -> Quota {
    text.parse().unwrap()
}

#[test]
fn recording_metrics_allocates_nothing() {
    let metrics = Arc::new(Metrics::default());
    let ((), n) = counted(|| {
        metrics.request(Kind::Actual, Outcome::Allowed);
        metrics.request(Kind::Preflight, Outcome::Refused);
        metrics.refusal(Reason::from_refusal_kind(corsair_core::RefusalKind::Header).unwrap());
        metrics.refusal(Reason::RateLimit);
        metrics.upstream(Duration::from_millis(12));
        metrics.upstream_error(UpstreamError::Timeout);
        metrics.config_reload(Reload::Ok);
        metrics.connection_opened();
        metrics.connection_closed();
        drop(metrics.track_connection());
    });
    assert_eq!(n, 0);
}

#[test]
fn admitting_a_known_key_allocates_nothing() {
    let store = MemoryStore::with_clock(10_000, ManualClock::default());
    let q = quota("100/minute");
    let origin = RateKey::origin(b"https://app.example");
    assert_eq!(store.admit(&origin, &q), Admission::Allowed);
    let (answers, n) = counted(|| (store.admit(&origin, &q), now(store.acquire(&origin, &q)).unwrap()));
    assert_eq!((answers, n), ((Admission::Allowed, Admission::Allowed), 0));
}

#[test]
fn a_full_store_recycles_expired_entries_without_allocating() {
    // One shard of four keys: once full and expired, new keys reuse the table's memory.
    let clock = ManualClock::default();
    let store = MemoryStore::with_clock(4, clock.clone());
    let q = quota("1/second");
    for i in 0..4u8 {
        assert_eq!(store.admit(&RateKey::client([192, 0, 2, i].into()), &q), Admission::Allowed);
    }
    clock.advance(Duration::from_secs(1));
    let (answer, n) = counted(|| store.admit(&RateKey::client([198, 51, 100, 1].into()), &q));
    assert_eq!((answer, n), (Admission::Allowed, 0));
}

#[test]
fn checking_a_request_allocates_nothing() {
    let limiter = RateLimiter::new(MemoryStore::with_clock(10_000, ManualClock::default()))
        .per_client(quota("100/minute"))
        .per_origin(quota("1000/minute"));
    let (client, origin) = ("2001:db8::7".parse().unwrap(), Some(&b"https://app.example"[..]));
    assert_eq!(now(limiter.check(client, origin)), Ok(()));
    let (answer, n) = counted(|| now(limiter.check(client, origin)));
    assert_eq!((answer, n), (Ok(()), 0));
}
