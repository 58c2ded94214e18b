//! The store and the limiter against the rules of GCRA and of keying, on a manual clock.

use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::*;

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

fn quota(text: &str) -> Quota {
    text.parse().unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn store(max_keys: usize) -> (MemoryStore<ManualClock>, ManualClock) {
    let clock = ManualClock::default();
    (MemoryStore::with_clock(max_keys, clock.clone()), clock)
}

fn limited(retry_after: Duration) -> Admission {
    Admission::Limited { retry_after }
}

/// Runs a future that must be ready at once (the memory store's always are).
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

// GCRA through the store ------------------------------------------------------------------------

#[test]
fn a_burst_is_admitted_whole_then_refused() {
    let (store, _) = store(1000);
    let (key, q) = (RateKey::client(ip("192.0.2.1")), quota("5/second"));
    for _ in 0..5 {
        assert_eq!(store.admit(&key, &q), Admission::Allowed);
    }
    assert_eq!(store.admit(&key, &q), limited(200 * MS));
    assert_eq!(store.admit(&key, &q), limited(200 * MS), "a refusal spends nothing");
}

#[test]
fn the_steady_rate_is_admitted_forever_and_faster_is_cut_to_it() {
    let (store, clock) = store(1000);
    let (key, q) = (RateKey::origin(b"https://app.example"), quota("10/second"));
    for _ in 0..1000 {
        assert_eq!(store.admit(&key, &q), Admission::Allowed);
        clock.advance(100 * MS);
    }
    // Now twice as fast, starting with the burst back: the burst of 10, then one per 100 ms
    // over the 9.95 s the 200 requests span.
    clock.advance(SECOND);
    let admitted = (0..200)
        .filter(|_| {
            let a = store.admit(&key, &q) == Admission::Allowed;
            clock.advance(50 * MS);
            a
        })
        .count();
    assert_eq!(admitted, 10 + 99);
}

#[test]
fn retry_after_is_exactly_long_enough() {
    for text in ["1/second", "3/second", "60/minute", "7/hour", "1/day"] {
        let (store, clock) = store(1000);
        let (key, q) = (RateKey::client(ip("198.51.100.9")), quota(text));
        while store.admit(&key, &q) == Admission::Allowed {}
        let Admission::Limited { retry_after } = store.admit(&key, &q) else { unreachable!() };
        assert_eq!(retry_after, q.emission_interval(), "{text}");
        clock.advance(retry_after - Duration::from_nanos(1));
        assert_eq!(store.admit(&key, &q), limited(Duration::from_nanos(1)), "{text}");
        clock.advance(Duration::from_nanos(1));
        assert_eq!(store.admit(&key, &q), Admission::Allowed, "{text}");
    }
}

#[test]
fn keys_are_independent() {
    let (store, _) = store(1000);
    let q = quota("2/minute");
    let keys = [
        RateKey::client(ip("192.0.2.1")),
        RateKey::client(ip("192.0.2.2")),
        RateKey::client(ip("2001:db8::1")),
        RateKey::origin(b"https://a.example"),
        RateKey::origin(b"https://b.example"),
        RateKey::origin(b"null"),
        RateKey::origin(b"not an origin"),
    ];
    for key in &keys {
        assert_eq!(store.admit(key, &q), Admission::Allowed);
        assert_eq!(store.admit(key, &q), Admission::Allowed);
        assert!(matches!(store.admit(key, &q), Admission::Limited { .. }), "{key}");
    }
    assert_eq!(store.len(), keys.len());
}

#[test]
fn the_memory_store_answers_through_the_trait_at_once() {
    let (store, _) = store(1000);
    let (key, q) = (RateKey::origin(b"https://app.example"), quota("1/minute"));
    assert_eq!(now(store.acquire(&key, &q)).unwrap(), Admission::Allowed);
    let shared = Arc::new(store);
    assert_eq!(now(shared.acquire(&key, &q)).unwrap(), limited(Duration::from_secs(60)));
}

// Keys -------------------------------------------------------------------------------------------

#[test]
fn client_and_origin_keys_never_meet() {
    let client = RateKey::client(ip("192.0.2.1"));
    let origin = RateKey::origin(b"http://192.0.2.1");
    assert_ne!(client, origin);
    assert_eq!((client.by(), origin.by()), (By::Client, By::Origin));
    assert_eq!(client.to_string(), "c4:192.0.2.1");
    assert_eq!(origin.to_string(), "o:http://192.0.2.1");
}

#[test]
fn ipv6_clients_are_keyed_by_their_64() {
    let a = RateKey::client(ip("2001:db8:1:2::1"));
    assert_eq!(a, RateKey::client(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
    assert_ne!(a, RateKey::client(ip("2001:db8:1:3::1")));
    assert_eq!(a.to_string(), "c6:2001:db8:1:2::/64");
    // A dual-stack socket reports IPv4 clients as mapped addresses: each is its own client.
    assert_eq!(RateKey::client(ip("::ffff:192.0.2.1")), RateKey::client(ip("192.0.2.1")));
    assert_ne!(RateKey::client(ip("::ffff:192.0.2.1")), RateKey::client(ip("::ffff:192.0.2.2")));

    let (store, _) = store(1000);
    let q = quota("1/minute");
    assert_eq!(store.admit(&a, &q), Admission::Allowed);
    let same_64 = RateKey::client(ip("2001:db8:1:2:dead:beef::7"));
    assert!(matches!(store.admit(&same_64, &q), Admission::Limited { .. }));
}

#[test]
fn malformed_origins_share_one_key() {
    let one = RateKey::origin(b"https://APP.example");
    for other in [&b""[..], b"*", b"https://app.example/", b"https://app.example:443", b"\xff\x00", &[b'a'; 600]] {
        assert_eq!(RateKey::origin(other), one);
    }
    assert_eq!(one.to_string(), "o-invalid");
    assert_ne!(RateKey::origin(b"null"), one);
}

// Memory bound -----------------------------------------------------------------------------------

#[test]
fn a_flood_of_distinct_keys_stays_within_the_bound_and_fails_closed() {
    let (store, clock) = store(10_000);
    assert_eq!(store.max_keys(), 10_000);
    let q = quota("10/hour");
    let kept = RateKey::origin(b"https://kept.example");
    assert_eq!(store.admit(&kept, &q), Admission::Allowed);
    let mut admitted = 0;
    for i in 0..100_000 {
        let origin = format!("https://o{i}.example");
        match store.admit(&RateKey::origin(origin.as_bytes()), &q) {
            Admission::Allowed => admitted += 1,
            Admission::Limited { retry_after } => assert!(retry_after <= HOUR, "{retry_after:?}"),
        }
        assert!(store.len() <= 10_000);
    }
    assert!(admitted < 10_000 && admitted > 9_000, "{admitted}");
    // Keys already held keep their normal answers.
    assert_eq!(store.admit(&kept, &q), Admission::Allowed);

    // Once the entries have expired, new keys get in again, still within the bound.
    clock.advance(HOUR);
    for i in 0..8_000 {
        let origin = format!("https://p{i}.example");
        assert_eq!(store.admit(&RateKey::origin(origin.as_bytes()), &q), Admission::Allowed, "{i}");
        assert!(store.len() <= 10_000);
    }
}

#[test]
fn a_full_store_refuses_new_keys_until_its_earliest_expiry() {
    // One shard of 4 keys, all live: a fifth key is refused until the first one expires.
    let (store, clock) = store(4);
    let q = quota("1/second");
    for i in 0..4u8 {
        assert_eq!(store.admit(&RateKey::client(IpAddr::from([192, 0, 2, i])), &q), Admission::Allowed);
        clock.advance(10 * MS);
    }
    let fifth = RateKey::client(ip("192.0.2.200"));
    // The first key expires 1 s after it came, 40 ms ago.
    assert_eq!(store.admit(&fifth, &q), limited(960 * MS));
    clock.advance(960 * MS);
    assert_eq!(store.admit(&fifth, &q), Admission::Allowed);
    assert_eq!(store.len(), 4);
}

#[test]
fn a_store_of_zero_keys_refuses_every_new_key_briefly() {
    let (store, _) = store(0);
    let Admission::Limited { retry_after } = store.admit(&RateKey::origin(b"null"), &quota("9/s")) else {
        panic!("a store of no keys admitted one");
    };
    assert!(retry_after <= SECOND);
}

#[test]
fn pruning_forgets_only_expired_keys() {
    let (store, clock) = store(1000);
    let (short, long) = (quota("1/second"), quota("1/hour"));
    store.admit(&RateKey::client(ip("192.0.2.1")), &short);
    store.admit(&RateKey::client(ip("192.0.2.2")), &long);
    clock.advance(SECOND);
    assert_eq!(store.prune(), 1);
    assert_eq!(store.len(), 1);
    assert!(matches!(store.admit(&RateKey::client(ip("192.0.2.2")), &long), Admission::Limited { .. }));
}

// Concurrency ------------------------------------------------------------------------------------

#[test]
fn concurrent_requests_never_lose_an_update() {
    let (store, _) = store(100_000);
    let store = Arc::new(store);
    let q = quota("1000/hour");
    let admitted = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    if store.admit(&RateKey::origin(b"https://hot.example"), &q) == Admission::Allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.load(Ordering::Relaxed), 1000);
}

#[test]
fn concurrent_limiters_over_many_keys_admit_exactly_each_burst() {
    let (store, _) = store(100_000);
    let limiter = RateLimiter::new(store).per_client(quota("50/minute"));
    let admitted = Mutex::new([0usize; 16]);
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let (limiter, admitted) = (&limiter, &admitted);
            s.spawn(move || {
                for round in 0..100u8 {
                    let client = (round.wrapping_mul(7).wrapping_add(t)) % 16;
                    for _ in 0..4 {
                        if now(limiter.check(IpAddr::from([203, 0, 113, client]), None)).is_ok() {
                            admitted.lock().unwrap()[usize::from(client)] += 1;
                        }
                    }
                }
            });
        }
    });
    // 1600 attempts over 16 clients (at least 96 each): exactly the burst of 50 per client.
    assert_eq!(*admitted.lock().unwrap(), [50; 16]);
}

// The limiter ------------------------------------------------------------------------------------

#[test]
fn the_client_quota_is_checked_first_and_spares_the_origin() {
    let (store, _) = store(1000);
    let limiter = RateLimiter::new(store).per_client(quota("1/minute")).per_origin(quota("2/minute"));
    let origin = Some(&b"https://app.example"[..]);
    assert_eq!(now(limiter.check(ip("192.0.2.1"), origin)), Ok(()));
    let by_client = now(limiter.check(ip("192.0.2.1"), origin)).unwrap_err();
    assert_eq!(by_client, Limited { by: By::Client, retry_after: Duration::from_secs(60) });
    // The refused request did not spend the origin's second cell.
    assert_eq!(now(limiter.check(ip("192.0.2.2"), origin)), Ok(()));
    let by_origin = now(limiter.check(ip("192.0.2.3"), origin)).unwrap_err();
    assert_eq!(by_origin, Limited { by: By::Origin, retry_after: Duration::from_secs(30) });
    // Another origin, or none, is not limited by this one.
    assert_eq!(now(limiter.check(ip("192.0.2.4"), Some(b"https://other.example"))), Ok(()));
    assert_eq!(now(limiter.check(ip("192.0.2.5"), None)), Ok(()));
}

#[test]
fn a_limiter_without_quotas_admits_everything_and_stores_nothing() {
    let (store, _) = store(1000);
    let limiter = RateLimiter::new(store);
    for _ in 0..100 {
        assert_eq!(now(limiter.check(ip("192.0.2.1"), Some(b"null"))), Ok(()));
    }
    assert!(limiter.store().is_empty());
}

#[test]
fn limiters_sharing_a_store_share_the_counts() {
    let (store, _) = store(1000);
    let store = Arc::new(store);
    let before = RateLimiter::new(Arc::clone(&store)).per_client(quota("2/minute"));
    let after_reload = RateLimiter::new(Arc::clone(&store)).per_client(quota("2/minute"));
    assert_eq!(now(before.check(ip("192.0.2.1"), None)), Ok(()));
    assert_eq!(now(after_reload.check(ip("192.0.2.1"), None)), Ok(()));
    assert!(now(after_reload.check(ip("192.0.2.1"), None)).is_err());
}

/// A store that is down.
struct Down;

impl RateStore for Down {
    async fn acquire(&self, _: &RateKey<'_>, _: &Quota) -> Result<Admission, StoreError> {
        Err(StoreError::new("connection refused"))
    }
}

#[test]
fn a_failing_store_admits_by_default_and_reports_each_error() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let limiter = RateLimiter::new(Down)
        .per_client(quota("1/minute"))
        .per_origin(quota("1/minute"))
        .on_store_error(move |e, by| log.lock().unwrap().push((e.to_string(), by)));
    assert_eq!(now(limiter.check(ip("192.0.2.1"), Some(b"null"))), Ok(()));
    assert_eq!(limiter.store_errors(), 2);
    let message = "the rate-limit store did not answer: connection refused".to_owned();
    assert_eq!(*seen.lock().unwrap(), [(message.clone(), By::Client), (message, By::Origin)]);
}

#[test]
fn a_failing_store_refuses_when_told_to() {
    let limiter = RateLimiter::new(Down).per_client(quota("1/minute")).when_store_fails(WhenStoreFails::Refuse);
    assert_eq!(now(limiter.check(ip("192.0.2.1"), None)), Err(Limited { by: By::Client, retry_after: SECOND }));
    assert_eq!(limiter.store_errors(), 1);
}

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    let at = |d| Limited { by: By::Origin, retry_after: d }.retry_after_secs();
    assert_eq!(at(Duration::ZERO), 1);
    assert_eq!(at(Duration::from_nanos(1)), 1);
    assert_eq!(at(SECOND), 1);
    assert_eq!(at(SECOND + Duration::from_nanos(1)), 2);
    assert_eq!(at(HOUR), 3600);
    let text = Limited { by: By::Client, retry_after: 1500 * MS }.to_string();
    assert_eq!(text, "too many requests from this client: retry after 2 s");
}

#[test]
fn the_check_future_can_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    let limiter = RateLimiter::new(MemoryStore::default()).per_client(quota("1/s"));
    let check = limiter.check(ip("192.0.2.1"), None);
    send(&check);
    assert_eq!(now(check), Ok(()));
}
