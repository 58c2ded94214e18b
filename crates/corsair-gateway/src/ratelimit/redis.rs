//! `RedisStore`: GCRA state in Redis, so every gateway instance that points at one Redis and
//! one key prefix enforces one limit.
//!
//! Every decision is one `EVALSHA` of [`SCRIPT`] with one key (Redis Cluster needs no hash
//! tags): the same step as `gcra.rs`, in integer microseconds, on Redis's own clock (`TIME`), so
//! instances whose clocks disagree still agree. The script runs atomically: no lost updates
//! between instances. `NOSCRIPT` (a `SCRIPT FLUSH`, a failover to a replica that never saw the
//! script) falls back to `EVAL`, which caches it again.
//!
//! **Why a small client of our own.** The store sends three commands (`SCRIPT LOAD`, `EVALSHA`,
//! `EVAL`, plus `AUTH` and `SELECT` on connect) and reads integer arrays and errors. redis-rs
//! 1.x needs Rust 1.88 (the workspace promises 1.85) and brings a parser combinator library,
//! a connection manager whose reconnects retry with their own backoff, and a multiplexer; here
//! each check borrows one pooled connection for one round trip, every step is under one
//! deadline, and nothing queues beyond [`MAX_CONNECTIONS`] checks in flight.
//!
//! **Failures.** A timeout, a refused connection, a closed connection or an error reply is a
//! [`StoreError`]: the connection is dropped (with every idle one, since a restarted Redis has
//! closed them all) and the next check connects anew. After a failed connect or a timeout,
//! checks fail at once for [`RECONNECT_PAUSE`] instead of each waiting out its deadline against
//! a Redis that is down or unreachable. Nothing panics; replies are read with fixed size limits.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::{Admission, Quota, RateKey, RateStore, StoreError};

/// The GCRA step of `gcra.rs` on Redis's clock, in microseconds. `ARGV[1]` is the emission
/// interval T, `ARGV[2]` the tolerance τ = (burst - 1) * T. Returns `{1, 0}` (admitted) or
/// `{0, wait}` (refused; admitted `wait` µs from now). The TAT is kept as a decimal integer
/// (`%.0f`: a bare Lua number would print as 1.7e+15) and expires when it passes, so Redis holds
/// only live keys. Lua numbers are doubles: exact to 2^53 µs, about 285 years after 1970.
pub const SCRIPT: &str = r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0) or 0, now)
local allowed_from = tat - tonumber(ARGV[2])
if allowed_from > now then return {0, allowed_from - now} end
local new = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000))
return {1, 0}
";

/// The key prefix unless configured: one per limiter sharing a Redis.
pub const DEFAULT_KEY_PREFIX: &str = "corsair:rl:";

/// The deadline of one check unless configured: a decision must not hold a request up for long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// Checks in flight at once per store, each on its own connection; more wait (within their
/// deadline) for a turn.
pub const MAX_CONNECTIONS: usize = 64;

/// After a failed connect or a check that timed out, checks fail at once for this long before
/// the next connect.
pub const RECONNECT_PAUSE: Duration = Duration::from_millis(200);

/// The most bytes of one reply line or bulk string the client reads.
const MAX_REPLY: usize = 4096;

/// Where a Redis is, from a `redis://[[user]:password@]host[:port][/db]` URL.
///
/// `Display` hides the password, so the URL can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    host: String,
    port: u16,
    db: u32,
    user: Option<String>,
    password: Option<String>,
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("redis://")?;
        match (&self.user, &self.password) {
            (Some(u), Some(_)) => write!(f, "{u}:***@")?,
            (None, Some(_)) => f.write_str(":***@")?,
            _ => {}
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}/{}", self.host, self.port, self.db)
        } else {
            write!(f, "{}:{}/{}", self.host, self.port, self.db)
        }
    }
}

impl FromStr for RedisUrl {
    type Err = String;

    /// Reads `redis://host[:port][/db]` with optional `user:password@` or `:password@`
    /// (percent-encoded). `rediss://` (TLS) and Unix sockets are refused with what to do instead.
    fn from_str(text: &str) -> Result<RedisUrl, String> {
        let shown: String = text.chars().take(80).flat_map(char::escape_debug).collect();
        let url = url::Url::parse(text)
            .map_err(|_| format!("`{shown}` is not a URL; write e.g. redis://127.0.0.1:6379/0"))?;
        match url.scheme() {
            "redis" => {}
            "rediss" => {
                return Err(format!(
                    "`{shown}`: TLS to Redis is not supported; write a redis:// URL on a private network or a local TLS tunnel"
                ))
            }
            other => return Err(format!("`{other}` is not a Redis URL scheme; write e.g. redis://127.0.0.1:6379/0")),
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(format!("`{shown}` has no host; write e.g. redis://127.0.0.1:6379/0")),
        };
        let path = url.path().trim_start_matches('/');
        let db = if path.is_empty() {
            0
        } else {
            path.parse::<u32>()
                .map_err(|_| format!("`{shown}`: the path is the database number; write e.g. redis://{host}:6379/0"))?
        };
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("`{shown}` has a query or fragment; write only redis://host:port/db"));
        }
        let decode =
            |s: &str| percent_decode(s).ok_or_else(|| format!("`{shown}`: bad percent-encoding in the credentials"));
        let user = if url.username().is_empty() { None } else { Some(decode(url.username())?) };
        let password = url.password().map(decode).transpose()?;
        Ok(RedisUrl { host, port: url.port().unwrap_or(6379), db, user, password })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// GCRA state in Redis, shared by every instance configured with the same URL and prefix.
///
/// Building it connects to nothing; the first check does. Clones of an `Arc<RedisStore>` share
/// its connections.
pub struct RedisStore {
    url: RedisUrl,
    prefix: String,
    timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    turns: Semaphore,
    /// Milliseconds since `start` before which no connect is tried (0: try).
    paused_until: AtomicU64,
    start: Instant,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url`, naming keys `key_prefix` + the [`RateKey`] rendering, each
    /// check bounded by `timeout` (connecting included).
    pub fn new(url: RedisUrl, key_prefix: impl Into<String>, timeout: Duration) -> RedisStore {
        RedisStore {
            url,
            prefix: key_prefix.into(),
            timeout,
            idle: Mutex::new(Vec::new()),
            turns: Semaphore::new(MAX_CONNECTIONS),
            paused_until: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// Whether this store can count `quota`: its emission interval must be at least one
    /// microsecond (at most 10^6 requests a second), Redis's clock resolution.
    pub fn counts(quota: &Quota) -> bool {
        quota.emission_nanos() >= 1_000
    }

    /// The Redis this store uses (password hidden when displayed).
    pub fn url(&self) -> &RedisUrl {
        &self.url
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn check(&self, key: String, t: u64, tau: u64) -> Result<Admission, String> {
        let _turn = self.turns.acquire().await.map_err(|_| "the store is closed".to_owned())?;
        let pooled = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect().await?,
        };
        match conn.gcra(&key, t, tau).await {
            Ok(answer) => {
                self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
                Ok(answer)
            }
            Err(e) => {
                // A Redis that restarted or failed over closed every connection.
                self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
                Err(e)
            }
        }
    }

    async fn connect(&self) -> Result<Connection, String> {
        let until = self.paused_until.load(Ordering::Relaxed);
        if until > self.elapsed_ms() {
            return Err(format!("{} was unreachable moments ago; reconnecting shortly", self.url));
        }
        match Connection::open(&self.url).await {
            Ok(c) => Ok(c),
            Err(e) => {
                self.pause();
                Err(format!("cannot connect to {}: {e}", self.url))
            }
        }
    }

    /// No connect is tried for [`RECONNECT_PAUSE`].
    fn pause(&self) {
        let pause = u64::try_from(RECONNECT_PAUSE.as_millis()).unwrap_or(u64::MAX);
        self.paused_until.store(self.elapsed_ms().saturating_add(pause), Ordering::Relaxed);
    }
}

impl RateStore for RedisStore {
    /// One round trip on a pooled connection (two more to connect, select and load the script),
    /// all within the store's timeout.
    fn acquire(&self, key: &RateKey<'_>, quota: &Quota) -> impl Future<Output = Result<Admission, StoreError>> + Send {
        let name = format!("{}{}", self.prefix, key);
        let t = quota.emission_nanos() / 1_000;
        let tau = t.saturating_mul(u64::from(quota.burst() - 1));
        async move {
            if t == 0 {
                return Err(StoreError::new(format!(
                    "{quota} is more than the Redis store counts (at most 1000000/second)"
                )));
            }
            match tokio::time::timeout(self.timeout, self.check(name, t, tau)).await {
                Ok(answer) => answer.map_err(StoreError::new),
                Err(_) => {
                    // The connection in use was dropped with the future; idle ones may be stale
                    // too. A Redis that does not answer in time (a host gone, a network
                    // partition) is treated like one that refuses connections: later checks fail
                    // at once for a while instead of each waiting out its deadline.
                    self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
                    self.pause();
                    Err(StoreError::new(format!("no answer from {} within {} ms", self.url, self.timeout.as_millis())))
                }
            }
        }
    }
}

/// One connection, with the script's SHA1 as this server returned it from `SCRIPT LOAD`.
struct Connection {
    stream: BufReader<TcpStream>,
    sha: String,
}

/// A RESP reply, as far as this client reads them.
#[derive(Debug, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Connection {
    async fn open(url: &RedisUrl) -> Result<Connection, String> {
        let stream = TcpStream::connect((url.host.as_str(), url.port)).await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let mut conn = Connection { stream: BufReader::new(stream), sha: String::new() };
        if let Some(password) = &url.password {
            let reply = match &url.user {
                Some(user) => conn.command(&[b"AUTH", user.as_bytes(), password.as_bytes()]).await?,
                None => conn.command(&[b"AUTH", password.as_bytes()]).await?,
            };
            expect_ok(reply, "AUTH")?;
        }
        if url.db != 0 {
            let db = url.db.to_string();
            expect_ok(conn.command(&[b"SELECT", db.as_bytes()]).await?, "SELECT")?;
        }
        conn.sha = match conn.command(&[b"SCRIPT", b"LOAD", SCRIPT.as_bytes()]).await? {
            Reply::Bulk(Some(sha)) => String::from_utf8(sha).map_err(|_| "SCRIPT LOAD: not a SHA1".to_owned())?,
            other => return Err(format!("SCRIPT LOAD: unexpected reply {}", brief(&other))),
        };
        Ok(conn)
    }

    /// Runs the script for `key`: `EVALSHA`, then `EVAL` if the server lost the script.
    async fn gcra(&mut self, key: &str, t: u64, tau: u64) -> Result<Admission, String> {
        let (t, tau) = (t.to_string(), tau.to_string());
        let sha = std::mem::take(&mut self.sha);
        let mut reply =
            self.command(&[b"EVALSHA", sha.as_bytes(), b"1", key.as_bytes(), t.as_bytes(), tau.as_bytes()]).await;
        self.sha = sha;
        if matches!(&reply, Ok(Reply::Error(e)) if e.starts_with("NOSCRIPT")) {
            reply =
                self.command(&[b"EVAL", SCRIPT.as_bytes(), b"1", key.as_bytes(), t.as_bytes(), tau.as_bytes()]).await;
        }
        match reply? {
            Reply::Array(items) => match items.as_slice() {
                [Reply::Integer(1), _] => Ok(Admission::Allowed),
                [Reply::Integer(0), Reply::Integer(wait)] => {
                    Ok(Admission::Limited { retry_after: Duration::from_micros(u64::try_from(*wait).unwrap_or(0)) })
                }
                _ => Err(format!("the script answered {items:?}")),
            },
            Reply::Error(e) => Err(format!("the script failed: {e}")),
            other => Err(format!("the script answered {}", brief(&other))),
        }
    }

    async fn command(&mut self, args: &[&[u8]]) -> Result<Reply, String> {
        let mut out = Vec::with_capacity(64 + args.iter().map(|a| a.len() + 16).sum::<usize>());
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.stream.get_mut().write_all(&out).await.map_err(|e| e.to_string())?;
        self.reply(0).await
    }

    /// Reads one reply; arrays nest at most two deep and hold at most 16 items.
    fn reply(&mut self, depth: u8) -> std::pin::Pin<Box<dyn Future<Output = Result<Reply, String>> + Send + '_>> {
        Box::pin(async move {
            let line = self.line().await?;
            let (kind, rest) = line.split_at(1);
            let number = || rest.parse::<i64>().map_err(|_| format!("bad reply line {:?}", brief_text(&line)));
            Ok(match kind {
                "+" => Reply::Status(rest.to_owned()),
                "-" => Reply::Error(rest.to_owned()),
                ":" => Reply::Integer(number()?),
                "$" => match number()? {
                    -1 => Reply::Bulk(None),
                    n if (0..=MAX_REPLY as i64).contains(&n) => {
                        let mut body = vec![0; n as usize + 2];
                        tokio::io::AsyncReadExt::read_exact(&mut self.stream, &mut body)
                            .await
                            .map_err(|e| e.to_string())?;
                        body.truncate(n as usize);
                        Reply::Bulk(Some(body))
                    }
                    n => return Err(format!("a {n}-byte reply is more than this client reads")),
                },
                "*" => match number()? {
                    -1 => Reply::Array(Vec::new()),
                    n if (0..=16).contains(&n) && depth < 2 => {
                        let mut items = Vec::with_capacity(n as usize);
                        for _ in 0..n {
                            items.push(self.reply(depth + 1).await?);
                        }
                        Reply::Array(items)
                    }
                    n => return Err(format!("an array of {n} is more than this client reads")),
                },
                _ => return Err(format!("bad reply line {:?}", brief_text(&line))),
            })
        })
    }

    /// One `\r\n`-terminated line, without it; at most [`MAX_REPLY`] bytes.
    async fn line(&mut self) -> Result<String, String> {
        let mut line = Vec::new();
        loop {
            let buf = self.stream.fill_buf().await.map_err(|e| e.to_string())?;
            if buf.is_empty() {
                return Err("Redis closed the connection".into());
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            line.extend_from_slice(&buf[..take]);
            self.stream.consume(take);
            if line.len() > MAX_REPLY {
                return Err("a reply line is longer than this client reads".into());
            }
            if done {
                break;
            }
        }
        if line.len() < 3 || !line.ends_with(b"\r\n") {
            return Err("bad reply line".into());
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line).map_err(|_| "a reply line is not UTF-8".into())
    }
}

fn expect_ok(reply: Reply, command: &str) -> Result<(), String> {
    match reply {
        Reply::Status(s) if s == "OK" => Ok(()),
        other => Err(format!("{command}: {}", brief(&other))),
    }
}

fn brief(reply: &Reply) -> String {
    match reply {
        Reply::Error(e) => brief_text(e),
        other => brief_text(&format!("{other:?}")),
    }
}

fn brief_text(text: &str) -> String {
    text.chars().take(120).flat_map(char::escape_debug).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_host_port_db_and_hide_the_password() {
        let u: RedisUrl = "redis://127.0.0.1:6380/2".parse().unwrap();
        assert_eq!((u.host.as_str(), u.port, u.db), ("127.0.0.1", 6380, 2));
        let u: RedisUrl = "redis://app:s%40cret@cache.internal".parse().unwrap();
        assert_eq!((u.user.as_deref(), u.password.as_deref(), u.port, u.db), (Some("app"), Some("s@cret"), 6379, 0));
        assert_eq!(u.to_string(), "redis://app:***@cache.internal:6379/0");
        assert_eq!("redis://:pw@[::1]:7000".parse::<RedisUrl>().unwrap().to_string(), "redis://:***@[::1]:7000/0");
    }

    #[test]
    fn url_mistakes_say_what_to_write() {
        let err = |t: &str| t.parse::<RedisUrl>().unwrap_err();
        assert!(err("127.0.0.1:6379").contains("write e.g. redis://"), "{}", err("127.0.0.1:6379"));
        assert!(err("rediss://cache:6380").contains("TLS to Redis is not supported"));
        assert!(err("http://cache:6379").contains("`http` is not a Redis URL scheme"));
        assert!(err("redis://cache:6379/zero").contains("database number"));
        assert!(err("redis://cache:6379/0?timeout=1").contains("query"));
    }

    #[test]
    fn quotas_finer_than_a_microsecond_are_not_counted() {
        assert!(RedisStore::counts(&"1000000/second".parse().unwrap()));
        assert!(!RedisStore::counts(&"1000001/second".parse().unwrap()));
        assert!(RedisStore::counts(&"4294967295/day".parse().unwrap()));
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_an_error_within_the_timeout_then_fails_fast() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url: RedisUrl = format!("redis://127.0.0.1:{port}").parse().unwrap();
        let store = RedisStore::new(url, DEFAULT_KEY_PREFIX, Duration::from_millis(500));
        let (key, quota) = (RateKey::client("192.0.2.1".parse().unwrap()), "1/second".parse().unwrap());
        let first = store.acquire(&key, &quota).await.unwrap_err().to_string();
        assert!(first.contains("cannot connect to redis://127.0.0.1"), "{first}");
        let second = store.acquire(&key, &quota).await.unwrap_err().to_string();
        assert!(second.contains("reconnecting shortly"), "{second}");
    }

    #[tokio::test]
    async fn a_redis_that_never_answers_is_a_timeout_then_fails_fast_then_is_tried_again() {
        // Accepts connections and reads nothing: a hung server.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url: RedisUrl = format!("redis://{}", silent.local_addr().unwrap()).parse().unwrap();
        let held = tokio::spawn(async move {
            let mut conns = Vec::new();
            while let Ok((c, _)) = silent.accept().await {
                conns.push(c);
            }
        });
        let store = RedisStore::new(url, DEFAULT_KEY_PREFIX, Duration::from_millis(100));
        let (key, quota) = (RateKey::client("192.0.2.1".parse().unwrap()), "1/second".parse().unwrap());
        let began = Instant::now();
        let first = store.acquire(&key, &quota).await.unwrap_err().to_string();
        let took = began.elapsed();
        assert!(first.contains("within 100 ms") && took >= Duration::from_millis(100), "{first} after {took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
        let began = Instant::now();
        let second = store.acquire(&key, &quota).await.unwrap_err().to_string();
        assert!(second.contains("reconnecting shortly") && began.elapsed() < Duration::from_millis(50), "{second}");
        tokio::time::sleep(RECONNECT_PAUSE).await;
        let third = store.acquire(&key, &quota).await.unwrap_err().to_string();
        assert!(third.contains("within 100 ms"), "tried again after the pause: {third}");
        held.abort();
    }
}
