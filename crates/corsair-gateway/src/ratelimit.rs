//! Rate limits for the open proxy, per client and per `Origin`, behind a pluggable store.
//!
//! An open CORS proxy relays for any page. Without limits, one client (or one site's visitors)
//! can spend the proxy's bandwidth and the upstreams' patience for everyone.
//!
//! **Algorithm.** GCRA, the generic cell rate algorithm: a [`Quota`] of `60/minute` admits a
//! burst of 60, then one request per second. A key's entire state is one timestamp, its
//! theoretical arrival time (TAT). One number per key is what makes the store pluggable: the
//! [`MemoryStore`] keeps it in a table; the [`RedisStore`] keeps the same number under the key
//! [`RateKey`] renders, updated atomically by a Lua script, so several gateway instances behind
//! a load balancer share one limit. ARCHITECTURE.md gives that store's design.
//!
//! **Stores.** [`RateStore::acquire`] is async because a networked store is; it is a generic
//! (not `dyn`) method so that the memory store's answer is a ready future with no allocation.
//!
//! ```
//! use corsair_gateway::ratelimit::{By, Limited, ManualClock, MemoryStore, RateLimiter};
//! use std::time::Duration;
//!
//! let clock = ManualClock::default();
//! let limiter = RateLimiter::new(MemoryStore::with_clock(10_000, clock.clone()))
//!     .per_client("2/second".parse().unwrap())
//!     .per_origin("100/minute".parse().unwrap());
//! let (client, origin) = ("203.0.113.7".parse().unwrap(), Some(&b"https://app.example"[..]));
//! tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//!     assert_eq!(limiter.check(client, origin).await, Ok(()));
//!     assert_eq!(limiter.check(client, origin).await, Ok(()));
//!     let refused = Limited { by: By::Client, retry_after: Duration::from_millis(500) };
//!     assert_eq!(limiter.check(client, origin).await, Err(refused));
//!     clock.advance(Duration::from_millis(500));
//!     assert_eq!(limiter.check(client, origin).await, Ok(()));
//! });
//! ```

mod gcra;
mod key;
mod limiter;
mod memory;
mod quota;
mod redis;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use key::{By, RateKey};
pub use limiter::{Limited, RateLimiter, WhenStoreFails};
pub use memory::{Clock, ManualClock, MemoryStore, MonotonicClock, DEFAULT_MAX_KEYS};
pub use quota::{Period, Quota, QuotaError};
pub use redis::{RedisStore, RedisUrl, DEFAULT_KEY_PREFIX, DEFAULT_TIMEOUT, MAX_CONNECTIONS, RECONNECT_PAUSE, SCRIPT};

/// A store's answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Admitted; the key's state has moved on by one request.
    Allowed,
    /// Refused; the key's state is unchanged, and the same request would be admitted after
    /// `retry_after` (if no other request for the key comes first).
    Limited {
        /// How long to wait.
        retry_after: Duration,
    },
}

/// Where GCRA state lives: this process, or a store shared by every gateway instance.
///
/// An implementation runs the GCRA step for `key` under `quota` atomically (no lost update
/// under concurrent requests, from this instance or others) on one stored value per key: the
/// theoretical arrival time, which it may forget once it has passed. A networked store reads
/// time from the store itself (Redis's `TIME`), so instances whose clocks disagree still
/// agree on every answer.
pub trait RateStore: Send + Sync + 'static {
    /// Counts one request for `key` against `quota`.
    fn acquire(&self, key: &RateKey<'_>, quota: &Quota) -> impl Future<Output = Result<Admission, StoreError>> + Send;
}

/// A shared store serves every limiter that holds it, so a configuration reload can build a
/// new [`RateLimiter`] without losing the counts.
impl<S: RateStore> RateStore for Arc<S> {
    fn acquire(&self, key: &RateKey<'_>, quota: &Quota) -> impl Future<Output = Result<Admission, StoreError>> + Send {
        S::acquire(self, key, quota)
    }
}

/// The store a configuration chose: the process's memory (kept across reloads) or a Redis
/// shared with other instances. An enum rather than `dyn`, so the memory store's check stays a
/// call without allocation.
#[derive(Clone, Debug)]
pub enum ConfiguredStore {
    /// This process's [`MemoryStore`].
    Memory(Arc<MemoryStore>),
    /// A [`RedisStore`].
    Redis(Arc<RedisStore>),
}

impl RateStore for ConfiguredStore {
    async fn acquire(&self, key: &RateKey<'_>, quota: &Quota) -> Result<Admission, StoreError> {
        match self {
            ConfiguredStore::Memory(m) => Ok(m.admit(key, quota)),
            ConfiguredStore::Redis(r) => r.acquire(key, quota).await,
        }
    }
}

/// A store could not answer (connection lost, timeout, script error). The limiter then admits
/// or refuses as its [`WhenStoreFails`] says.
#[derive(Debug)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the store client's error.
    pub fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
        StoreError(cause.into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the rate-limit store did not answer: {}", self.0)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

#[cfg(test)]
mod tests;
