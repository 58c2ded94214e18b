//! `MemoryStore`: GCRA state for one gateway instance, bounded in memory.

use std::collections::HashMap;
use std::future::{ready, Future};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{gcra, Admission, Quota, RateKey, RateStore, StoreError};

/// A source of time for [`MemoryStore`]: a duration since a fixed start of the clock's own
/// choosing. Only differences matter, and they must never go backwards.
pub trait Clock: Send + Sync + 'static {
    /// The time elapsed since the clock's start.
    fn now(&self) -> Duration;
}

/// The production clock: the monotonic [`Instant`], immune to wall-clock steps (NTP, an
/// administrator's `date`), which would otherwise refund or confiscate quotas.
#[derive(Clone, Copy, Debug)]
pub struct MonotonicClock {
    start: Instant,
}

impl Default for MonotonicClock {
    fn default() -> MonotonicClock {
        MonotonicClock { start: Instant::now() }
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told to, so tests of rates are exact and never sleep. Clones
/// share one time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// Moves time forward by `by` (saturating at about 584 years).
    pub fn advance(&self, by: Duration) {
        let by = nanos(by);
        let _ = self.nanos.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| Some(n.saturating_add(by)));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// How many keys a [`MemoryStore`] holds unless told otherwise: at 17 bytes per table slot,
/// and tables that grow by doubling, at most about 36 MB.
pub const DEFAULT_MAX_KEYS: usize = 1_000_000;

/// After a scan for expired entries, a full shard waits at least this long before scanning
/// again, so a flood of new keys costs one scan per shard per pause, not one per request.
const PRUNE_PAUSE: u64 = 100_000_000;

/// Up to this many shards, each with its own lock, so concurrent requests rarely wait.
const MAX_SHARDS: usize = 16;

/// A shard is never smaller than this, so a small limit is not spread too thin: with an
/// uneven spread of keys, one shard fills before the store does.
const MIN_KEYS_PER_SHARD: usize = 1024;

/// GCRA state in this process: one theoretical arrival time per key, in shards of
/// `Mutex<HashMap>`, with a fixed maximum number of keys.
///
/// **Bounded.** At most [`max_keys`](MemoryStore::max_keys) keys are held. Entries whose time
/// has passed mean nothing (a fresh key behaves the same) and are pruned when a shard is full.
/// When a shard is full and nothing in it has expired, a new key is **refused**
/// ([`Admission::Limited`], retry after the shard's earliest expiry): failing open would
/// let whoever fills the table (with spoofed origins, or addresses from many /64s) switch the
/// limits off for everyone. Keys already held keep their normal answers.
///
/// **Compact.** Keys are stored as 64-bit SipHash digests under a secret random key, so each
/// entry is 16 bytes whatever the origin's length, and a request for a known key allocates
/// nothing. Two distinct keys share a digest with probability 2^-64 per pair (about 3 * 10^-8
/// for a million keys); an attacker cannot aim for it without the secret.
///
/// **Exact.** The GCRA step runs under the shard's lock, so concurrent requests for a key
/// never lose an update: a burst of N is exactly N admissions.
///
/// ```
/// use corsair_gateway::ratelimit::{Admission, ManualClock, MemoryStore, RateKey};
/// use std::time::Duration;
///
/// let clock = ManualClock::default();
/// let store = MemoryStore::with_clock(10_000, clock.clone());
/// let (key, quota) = (RateKey::client("192.0.2.1".parse().unwrap()), "1/second".parse().unwrap());
/// assert_eq!(store.admit(&key, &quota), Admission::Allowed);
/// assert_eq!(store.admit(&key, &quota), Admission::Limited { retry_after: Duration::from_secs(1) });
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(store.admit(&key, &quota), Admission::Allowed);
/// ```
#[derive(Debug)]
pub struct MemoryStore<C = MonotonicClock> {
    shards: Box<[Shard]>,
    keys_per_shard: usize,
    digest: RandomState,
    clock: C,
}

/// One lock and its table, on its own cache lines so that shards do not slow each other down.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(Mutex<Table>);

#[derive(Debug, Default)]
struct Table {
    /// Key digest -> theoretical arrival time (nanoseconds on the store's clock).
    tats: HashMap<u64, u64, Digested>,
    /// No entry expires before this (a lower bound: kept on insert, made exact by a scan).
    next_expiry: u64,
    /// No scan before this (the pause after the last one).
    next_scan: u64,
}

impl Table {
    /// Removes expired entries; returns how many.
    fn prune(&mut self, now: u64) -> usize {
        let before = self.tats.len();
        let mut earliest = u64::MAX;
        self.tats.retain(|_, tat| {
            let live = *tat > now;
            if live {
                earliest = earliest.min(*tat);
            }
            live
        });
        self.next_expiry = earliest;
        self.next_scan = now.saturating_add(PRUNE_PAUSE);
        before - self.tats.len()
    }

    /// Makes room for one more key in a full table, or says how long until there may be some.
    fn make_room(&mut self, now: u64, limit: usize) -> Result<(), u64> {
        if now >= self.next_expiry && now >= self.next_scan {
            self.prune(now);
        }
        if self.tats.len() < limit {
            return Ok(());
        }
        // An empty table that is full (a limit of 0) has no expiry to wait for.
        let until = if self.tats.is_empty() { self.next_scan } else { self.next_expiry.max(self.next_scan) };
        Err(until.saturating_sub(now).max(1))
    }
}

/// The table's keys are already SipHash digests; hashing them again would be wasted work.
#[derive(Clone, Copy, Debug, Default)]
struct Digested;

impl BuildHasher for Digested {
    type Hasher = DigestHasher;

    fn build_hasher(&self) -> DigestHasher {
        DigestHasher(0)
    }
}

struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the keys are `u64`); this keeps the trait's contract.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl MemoryStore {
    /// A store for at most `max_keys` keys on the monotonic clock.
    pub fn with_max_keys(max_keys: usize) -> MemoryStore {
        MemoryStore::with_clock(max_keys, MonotonicClock::default())
    }
}

impl Default for MemoryStore {
    /// A store for [`DEFAULT_MAX_KEYS`] keys on the monotonic clock.
    fn default() -> MemoryStore {
        MemoryStore::with_max_keys(DEFAULT_MAX_KEYS)
    }
}

impl<C: Clock> MemoryStore<C> {
    /// A store for at most `max_keys` keys (rounded down to a multiple of the shard count; 0
    /// refuses every key) on `clock`.
    pub fn with_clock(max_keys: usize, clock: C) -> MemoryStore<C> {
        let mut shards = 1;
        while shards < MAX_SHARDS && max_keys / (shards * 2) >= MIN_KEYS_PER_SHARD {
            shards *= 2;
        }
        MemoryStore {
            shards: (0..shards).map(|_| Shard::default()).collect(),
            keys_per_shard: max_keys / shards,
            digest: RandomState::new(),
            clock,
        }
    }

    /// The most keys held at once.
    pub fn max_keys(&self) -> usize {
        self.keys_per_shard * self.shards.len()
    }

    /// How many keys are held now, expired ones not yet pruned included.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).tats.len()).sum()
    }

    /// True if no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every expired entry and returns the memory of mostly empty tables; returns how
    /// many entries went. Optional: a full shard prunes itself. A server may call this now and
    /// then (say, every minute) to give memory back after a flood.
    pub fn prune(&self) -> usize {
        let now = nanos(self.clock.now());
        self.shards
            .iter()
            .map(|s| {
                let mut table = lock(s);
                let removed = table.prune(now);
                if table.tats.len() < table.tats.capacity() / 4 {
                    table.tats.shrink_to_fit();
                }
                removed
            })
            .sum()
    }

    /// Runs one GCRA step for `key` under `quota`, synchronously. This is the store's whole
    /// work; [`RateStore::acquire`] wraps it in a ready future.
    pub fn admit(&self, key: &RateKey<'_>, quota: &Quota) -> Admission {
        let digest = self.digest.hash_one(key);
        // Bits 40-43 pick the shard: the table itself uses the low bits and the top seven.
        let shard = &self.shards[(digest >> 40) as usize & (self.shards.len() - 1)];
        let now = nanos(self.clock.now());
        let mut table = lock(shard);
        let held = table.tats.get(&digest).copied();
        let new_tat = match gcra::step(held, now, quota) {
            Ok(tat) => tat,
            Err(wait) => return Admission::Limited { retry_after: Duration::from_nanos(wait) },
        };
        if held.is_none() && table.tats.len() >= self.keys_per_shard {
            if let Err(wait) = table.make_room(now, self.keys_per_shard) {
                return Admission::Limited { retry_after: Duration::from_nanos(wait) };
            }
        }
        table.tats.insert(digest, new_tat);
        if held.is_none() {
            table.next_expiry = table.next_expiry.min(new_tat);
        }
        Admission::Allowed
    }
}

/// Locks a shard. Nothing panics while the lock is held (saturating arithmetic, no user
/// code), so a poisoned lock still guards a consistent table.
fn lock(shard: &Shard) -> MutexGuard<'_, Table> {
    shard.0.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<C: Clock> RateStore for MemoryStore<C> {
    /// [`MemoryStore::admit`] in a ready future: no allocation, no await point, never fails.
    fn acquire(&self, key: &RateKey<'_>, quota: &Quota) -> impl Future<Output = Result<Admission, StoreError>> + Send {
        ready(Ok(self.admit(key, quota)))
    }
}
