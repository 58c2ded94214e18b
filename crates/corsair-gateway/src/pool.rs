//! [`Pool`]: the idle upstream connections of both paths, and the rules for reusing them, once.
//!
//! One pool per loaded configuration: the connector a configuration builds decides where a
//! connection may go (the egress guard, the pinned names, the trusted CAs), so a reload starts a
//! new pool and never reuses a connection the old rules let through. Per upstream origin (scheme
//! and exact authority bytes) an [`Origin`] keeps three kinds of idle connection:
//!
//! - [`Raw`]: a TCP stream the relay left at a message boundary, with its read buffer;
//! - [`Http1`]: a hyper HTTP/1.1 connection (its `SendRequest`; the stream lives in hyper's
//!   connection task);
//! - HTTP/2 connections, shared while open instead of taken.
//!
//! The rules, the same for every kind that is taken ([`Idle`]):
//!
//! - the connection returned last goes out first, so the others age out;
//! - at most [`MAX_IDLE_PER_ORIGIN`] idle per kind and origin: past that, a returned one closes;
//! - none idle for [`IDLE_TIMEOUT`] or longer;
//! - each is checked when it is taken ([`Reusable::check`]): one closed, or holding bytes nobody
//!   asked for (an extra answer, which would reach the next client), is dropped; one still busy
//!   (hyper still sending a request body its upstream answered early) is skipped and kept;
//! - only a connection at a known message boundary comes back: the relay returns one whose
//!   response was read to its end with nothing after it, hyper's path one whose response body
//!   ended (never after a `101`). A connection in any other state closes.
//!
//! On a reload a connection in use goes back to the origin it came from (a weak reference for
//! hyper's, the route for the relay's), which the old configuration's last request drops, with
//! what it holds. On shutdown the configuration is dropped, and every idle connection closes.
//!
//! A raw stream can become a hyper connection: hyper's path, finding no idle HTTP/1.1
//! connection, starts a handshake over one the relay left instead of connecting anew. The
//! reverse is not done: the stream of a hyper connection belongs to its connection task, and
//! getting it back (`without_shutdown`) would end that task after every exchange and cost a new
//! handshake and task on the next, the work this pool exists to save; hyper's read-ahead bytes
//! would also leave the stream in a state the relay could not vouch for.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http::uri::{Authority, Scheme};
use http::Uri;
use hyper::client::conn::{http1, http2};
use tokio::net::TcpStream;

use crate::body::{Recycle, RequestBody};

/// How long an idle connection is kept for reuse.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Most idle connections of one kind kept per upstream origin; after a burst, the rest close.
pub const MAX_IDLE_PER_ORIGIN: usize = 128;

/// Most upstream origins in the pool (open mode reaches many); the oldest entry goes.
const MAX_ORIGINS: usize = 256;

/// An upstream origin: the pool's key.
#[derive(Clone, Debug)]
pub struct Key {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host and port as the configuration or the request spelt them.
    pub authority: Authority,
}

/// Exact bytes: `Authority`'s own comparison ignores case a byte at a time, which cost 390
/// instructions per request here. Two spellings of one host get two entries, which is harmless.
impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.authority.as_str() == other.authority.as_str() && self.scheme == other.scheme
    }
}

impl Key {
    /// The origin of an absolute URI; `None` without a scheme or host.
    pub fn of(uri: &Uri) -> Option<Key> {
        Some(Key { scheme: uri.scheme()?.clone(), authority: uri.authority()?.clone() })
    }
}

/// Every origin's idle connections, for one configuration.
#[derive(Default)]
pub struct Pool {
    origins: Mutex<Vec<Arc<Origin>>>,
}

impl Pool {
    /// The entry of `key`, if it has one.
    pub fn find(&self, key: &Key) -> Option<Arc<Origin>> {
        lock(&self.origins).iter().find(|o| o.key == *key).cloned()
    }

    /// The entry of `key`, made if missing (the oldest goes when there are many).
    pub fn origin(&self, key: &Key) -> Arc<Origin> {
        let mut origins = lock(&self.origins);
        if let Some(origin) = origins.iter().find(|o| o.key == *key) {
            return origin.clone();
        }
        if origins.len() >= MAX_ORIGINS {
            origins.remove(0);
        }
        let origin = Arc::new(Origin {
            key: key.clone(),
            raw: Idle::default(),
            http1: Idle::default(),
            http2: Mutex::new(Vec::new()),
        });
        origins.push(origin.clone());
        origin
    }
}

/// The idle connections to one upstream origin.
pub struct Origin {
    key: Key,
    /// Streams the relay left.
    pub raw: Idle<Raw>,
    /// hyper's HTTP/1.1 connections.
    pub http1: Idle<Http1>,
    /// hyper's HTTP/2 connections, with the time each was last used; the last handle dropped
    /// closes the connection.
    http2: Mutex<Vec<(http2::SendRequest<RequestBody>, Instant)>>,
}

impl Origin {
    /// The origin these connections go to.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// An HTTP/2 connection that is open and was used within [`IDLE_TIMEOUT`], shared.
    pub fn http2(&self) -> Option<http2::SendRequest<RequestBody>> {
        let mut http2 = lock(&self.http2);
        if http2.is_empty() {
            return None;
        }
        let now = Instant::now();
        http2.retain(|(s, used)| !s.is_closed() && now.duration_since(*used) < IDLE_TIMEOUT);
        let (sender, used) = http2.first_mut()?;
        *used = now;
        Some(sender.clone())
    }

    /// Shares a new HTTP/2 connection with later requests.
    pub fn add_http2(&self, sender: http2::SendRequest<RequestBody>) {
        lock(&self.http2).push((sender, Instant::now()));
    }

    /// Where a new HTTP/1.1 connection to this origin goes back when its response ends.
    pub fn home(self: &Arc<Self>) -> Arc<Home> {
        Arc::new(Home { origin: Arc::downgrade(self) })
    }
}

/// What an idle connection says when it is about to be taken.
pub enum Check {
    /// It can take a request now.
    Ready,
    /// Not now (still sending an earlier request's body): kept for later.
    Busy,
    /// Closed, broken, or holding bytes nobody asked for: dropped.
    Gone,
}

/// A kind of connection the pool keeps idle.
pub trait Reusable {
    /// Whether it can take a request now; a busy one wakes `cx` when it can.
    fn check(&mut self, cx: &mut Context<'_>) -> Check;
    /// Whether it is known closed without asking the socket: a returned one that is goes at
    /// once, and the oldest ones that are go when another is returned.
    fn is_closed(&self) -> bool;
}

/// The idle connections of one kind to one origin, under the rules of this module.
pub struct Idle<C> {
    /// Oldest first, each with the time it expires ([`IDLE_TIMEOUT`] after it came back): a
    /// deadline made once is compared for nothing when taken, where an age costs a subtraction.
    list: Mutex<VecDeque<(C, Instant)>>,
}

impl<C> Default for Idle<C> {
    fn default() -> Self {
        Idle { list: Mutex::new(VecDeque::new()) }
    }
}

impl<C: Reusable> Idle<C> {
    /// The most recent idle connection that passes its check. Checks run outside the lock (the
    /// relay's is a system call).
    #[inline]
    pub fn take(&self, cx: &mut Context<'_>) -> Option<C> {
        let now = Instant::now();
        // Made only when one is busy (the relay's never are), so nothing is dropped otherwise.
        let mut busy: Option<Vec<(C, Instant)>> = None;
        let found = loop {
            let Some((mut conn, expires)) = self.pop(now) else { break None };
            match conn.check(cx) {
                Check::Ready => break Some(conn),
                Check::Gone => {}
                Check::Busy => busy.get_or_insert_with(Vec::new).push((conn, expires)),
            }
        };
        if let Some(busy) = busy {
            // Back where they were, newest last, for a later request.
            lock(&self.list).extend(busy.into_iter().rev());
        }
        found
    }

    /// [`Idle::take`] for a kind whose check needs no waker (it is never busy).
    #[inline]
    pub fn take_now(&self) -> Option<C> {
        self.take(&mut Context::from_waker(Waker::noop()))
    }

    /// The newest entry if it has not expired; when it has, the older ones have too, and all go.
    #[inline]
    fn pop(&self, now: Instant) -> Option<(C, Instant)> {
        let mut list = lock(&self.list);
        let (conn, expires) = list.pop_back()?;
        if now < expires {
            return Some((conn, expires));
        }
        list.clear();
        None
    }

    /// Keeps `conn`, which is at a message boundary, for the next request (unless it is closed or
    /// the origin has its fill); the oldest entries that expired or closed go first.
    #[inline]
    pub fn put(&self, conn: C) {
        if conn.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut list = lock(&self.list);
        while list.front().is_some_and(|(c, expires)| now >= *expires || c.is_closed()) {
            list.pop_front();
        }
        if list.len() < MAX_IDLE_PER_ORIGIN {
            // No monotonic clock comes within 60 s of its end; if one did, the entry expires now.
            list.push_back((conn, now.checked_add(IDLE_TIMEOUT).unwrap_or(now)));
        }
    }

    /// How many are idle (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.list).len()
    }
}

/// A stream the relay reads and writes itself, with the bytes read from it and not yet used
/// (none while it is idle; the buffer is kept so reuse allocates nothing).
pub struct Raw {
    /// The stream.
    pub io: TcpStream,
    /// What was read from it.
    pub buf: BytesMut,
}

impl Reusable for Raw {
    /// Asks the socket itself (a non-blocking peek), not the runtime's cached readiness, which
    /// may lag: quiet means no bytes and no end of stream.
    #[inline]
    fn check(&mut self, _: &mut Context<'_>) -> Check {
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
        match socket2::SockRef::from(&self.io).peek(&mut byte) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Check::Ready,
            _ => Check::Gone,
        }
    }

    /// Only a system call could tell.
    #[inline]
    fn is_closed(&self) -> bool {
        false
    }
}

/// A hyper HTTP/1.1 connection, with where it goes back.
pub struct Http1 {
    /// The connection's request handle.
    pub sender: http1::SendRequest<RequestBody>,
    /// Made once per connection, so a response hands it on without allocating.
    pub home: Arc<Home>,
}

impl Reusable for Http1 {
    /// hyper's own readiness: an upstream that closed it is seen by the connection task.
    fn check(&mut self, cx: &mut Context<'_>) -> Check {
        match self.sender.poll_ready(cx) {
            Poll::Ready(Ok(())) => Check::Ready,
            Poll::Ready(Err(_)) => Check::Gone,
            Poll::Pending => Check::Busy,
        }
    }

    fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Where an HTTP/1.1 connection goes back to when a response body ends. Weak, so an origin
/// dropped with its configuration is not kept alive by the connections it pooled.
pub struct Home {
    origin: Weak<Origin>,
}

impl Recycle for Home {
    fn recycle(self: Arc<Self>, sender: http1::SendRequest<RequestBody>) {
        if let Some(origin) = self.origin.upgrade() {
            origin.http1.put(Http1 { sender, home: self });
        }
    }
}

/// A lock that a panic elsewhere does not poison for good: the lists stay consistent at every
/// step, so the next user may go on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection whose check and state a test sets.
    struct Fake {
        id: usize,
        check: fn() -> Check,
        closed: bool,
    }

    impl Reusable for Fake {
        fn check(&mut self, _: &mut Context<'_>) -> Check {
            (self.check)()
        }
        fn is_closed(&self) -> bool {
            self.closed
        }
    }

    fn fake(id: usize) -> Fake {
        Fake { id, check: || Check::Ready, closed: false }
    }

    #[test]
    fn the_last_returned_goes_out_first() {
        let idle = Idle::default();
        for id in 0..3 {
            idle.put(fake(id));
        }
        let ids: Vec<usize> = std::iter::from_fn(|| idle.take_now()).map(|c| c.id).collect();
        assert_eq!(ids, [2, 1, 0]);
    }

    #[test]
    fn gone_ones_are_dropped_and_busy_ones_kept_in_order() {
        let idle = Idle::default();
        idle.put(fake(0));
        idle.put(Fake { id: 1, check: || Check::Busy, closed: false });
        idle.put(Fake { id: 2, check: || Check::Busy, closed: false });
        idle.put(Fake { id: 3, check: || Check::Gone, closed: false });
        assert_eq!(idle.take_now().map(|c| c.id), Some(0), "past the gone and the busy ones");
        assert_eq!(idle.len(), 2, "the busy ones stay, the gone one does not");
        let order: Vec<usize> = lock(&idle.list).iter().map(|(c, _)| c.id).collect();
        assert_eq!(order, [1, 2], "newest last, as before");
        assert!(idle.take_now().is_none(), "nothing ready");
    }

    #[test]
    fn at_most_the_limit_is_kept_and_closed_ones_are_not() {
        let idle = Idle::default();
        for id in 0..MAX_IDLE_PER_ORIGIN + 5 {
            idle.put(fake(id));
        }
        assert_eq!(idle.len(), MAX_IDLE_PER_ORIGIN);
        idle.put(Fake { id: 999, check: || Check::Ready, closed: true });
        assert_eq!(idle.take_now().map(|c| c.id), Some(MAX_IDLE_PER_ORIGIN - 1), "a closed one is not kept");
    }

    #[test]
    fn closed_ones_at_the_front_go_when_another_comes_back() {
        let idle = Idle::default();
        idle.put(fake(0));
        lock(&idle.list)[0].0.closed = true;
        idle.put(fake(1));
        assert_eq!(idle.len(), 1);
    }

    #[test]
    fn expired_ones_go_with_everything_older() {
        let idle = Idle::default();
        idle.put(fake(0));
        idle.put(fake(1));
        let now = Instant::now();
        for entry in lock(&idle.list).iter_mut() {
            entry.1 = now;
        }
        assert!(idle.take_now().is_none());
        assert_eq!(idle.len(), 0);
    }

    #[test]
    fn one_entry_per_origin_and_at_most_max_origins() {
        let pool = Pool::default();
        let key = |port: usize| Key::of(&format!("http://127.0.0.1:{port}/").parse().unwrap()).unwrap();
        let first = pool.origin(&key(1));
        assert!(Arc::ptr_eq(&first, &pool.origin(&key(1))));
        assert!(pool.find(&key(2)).is_none());
        for port in 2..=MAX_ORIGINS + 1 {
            pool.origin(&key(port));
        }
        assert!(pool.find(&key(1)).is_none(), "the oldest went");
        assert_eq!(lock(&pool.origins).len(), MAX_ORIGINS);
    }
}
