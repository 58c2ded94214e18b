//! `RateLimiter`: a request's client and origin quotas, checked against a store.

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Admission, By, Quota, RateKey, RateStore, StoreError};

/// What the limiter answers when its store fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenStoreFails {
    /// Admit the request (the default). A rate limit protects capacity; it is not an access
    /// control, and the egress guard and CORS policy do not depend on it. An unreachable
    /// store should degrade the proxy to "unlimited for a while", noticed through the error
    /// hook, not to "down for everyone".
    #[default]
    Admit,
    /// Refuse the request, with [`Limited::retry_after`] of one second: for deployments where
    /// an unlimited open proxy is worse than none.
    Refuse,
}

/// Why a request was refused: the quota that ran out, and when to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// The quota that refused.
    pub by: By,
    /// When the same request would be admitted.
    pub retry_after: Duration,
}

impl Limited {
    /// `retry_after` in whole seconds for a `Retry-After` header: rounded up (a client that
    /// waits that long is admitted) and at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }
}

impl fmt::Display for Limited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whose = match self.by {
            By::Client => "this client",
            By::Origin => "this origin",
        };
        write!(f, "too many requests from {whose}: retry after {} s", self.retry_after_secs())
    }
}

impl std::error::Error for Limited {}

/// How long a refusal caused by a failing store asks the client to wait.
const STORE_ERROR_RETRY: Duration = Duration::from_secs(1);

type ErrorHook = Box<dyn Fn(&StoreError, By) + Send + Sync>;

/// Checks each request against an optional per-client and an optional per-origin quota.
///
/// The client quota is checked first, and a request it refuses does not count against the
/// origin: one client forging many `Origin` values spends only its own quota and cannot fill
/// the store with origin keys. A request the origin quota refuses has spent a client cell
/// (it was made).
///
/// Store errors are counted ([`RateLimiter::store_errors`]), passed to the hook set with
/// [`RateLimiter::on_store_error`] (where the server counts and logs them), and
/// answered as [`WhenStoreFails`] says.
pub struct RateLimiter<S> {
    store: S,
    client: Option<Quota>,
    origin: Option<Quota>,
    on_error: WhenStoreFails,
    hook: Option<ErrorHook>,
    store_errors: AtomicU64,
}

impl<S: fmt::Debug> fmt::Debug for RateLimiter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("store", &self.store)
            .field("client", &self.client)
            .field("origin", &self.origin)
            .field("on_error", &self.on_error)
            .field("store_errors", &self.store_errors)
            .finish_non_exhaustive()
    }
}

impl<S: RateStore> RateLimiter<S> {
    /// A limiter with no quotas yet (it admits everything) on `store`.
    pub fn new(store: S) -> RateLimiter<S> {
        RateLimiter {
            store,
            client: None,
            origin: None,
            on_error: WhenStoreFails::default(),
            hook: None,
            store_errors: AtomicU64::new(0),
        }
    }

    /// Limits each client: an IPv4 address, or an IPv6 /64 (see [`RateKey::client`]).
    pub fn per_client(mut self, quota: Quota) -> RateLimiter<S> {
        self.client = Some(quota);
        self
    }

    /// Limits each `Origin` (see [`RateKey::origin`]); requests without one are not counted.
    pub fn per_origin(mut self, quota: Quota) -> RateLimiter<S> {
        self.origin = Some(quota);
        self
    }

    /// Admit or refuse when the store fails (default: admit).
    pub fn when_store_fails(mut self, answer: WhenStoreFails) -> RateLimiter<S> {
        self.on_error = answer;
        self
    }

    /// Calls `hook` with each store error and the quota being checked, before answering: the
    /// place to log it and count it in metrics.
    pub fn on_store_error(mut self, hook: impl Fn(&StoreError, By) + Send + Sync + 'static) -> RateLimiter<S> {
        self.hook = Some(Box::new(hook));
        self
    }

    /// The store, to share it (`Arc<S>` is a store too) or inspect it.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// How many store errors this limiter has seen.
    pub fn store_errors(&self) -> u64 {
        self.store_errors.load(Ordering::Relaxed)
    }

    /// Counts one request from `client` with `origin` (the raw `Origin` header value, if any)
    /// against the configured quotas.
    pub async fn check(&self, client: IpAddr, origin: Option<&[u8]>) -> Result<(), Limited> {
        if let Some(quota) = &self.client {
            self.acquire(&RateKey::client(client), quota).await?;
        }
        if let (Some(quota), Some(origin)) = (&self.origin, origin) {
            self.acquire(&RateKey::origin(origin), quota).await?;
        }
        Ok(())
    }

    async fn acquire(&self, key: &RateKey<'_>, quota: &Quota) -> Result<(), Limited> {
        let by = key.by();
        match self.store.acquire(key, quota).await {
            Ok(Admission::Allowed) => Ok(()),
            Ok(Admission::Limited { retry_after }) => Err(Limited { by, retry_after }),
            Err(error) => {
                self.store_errors.fetch_add(1, Ordering::Relaxed);
                if let Some(hook) = &self.hook {
                    hook(&error, by);
                }
                match self.on_error {
                    WhenStoreFails::Admit => Ok(()),
                    WhenStoreFails::Refuse => Err(Limited { by, retry_after: STORE_ERROR_RETRY }),
                }
            }
        }
    }
}
