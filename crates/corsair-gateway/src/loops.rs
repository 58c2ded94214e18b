//! Requests that come back to the proxy that sent them: an upstream that is the proxy itself.
//!
//! Two checks. At start (and on reload), an upstream whose address is the listener's is refused:
//! that is the usual mistake (`--listen :8080 --upstream http://localhost:8080`). Whatever the
//! check cannot see (a DNS name that changes, a load balancer or another proxy that leads back)
//! the request itself shows: every request the gateway forwards carries `Via: 1.1 corsair-TOKEN`,
//! with a token drawn once per server, and a request that arrives with this server's token is
//! answered `508 Loop Detected` instead of going round again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use http::{header, HeaderMap, HeaderValue};

use http::uri::Scheme;

use crate::config::{Config, Mode, Upstream};
use crate::connect::PinnedResolver;
use crate::egress::Resolver;

/// Longest wait for DNS when checking the upstreams at start; a name that does not resolve in
/// time is not refused (the per-request mark still catches a loop).
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// This server's mark on the requests it forwards: a `Via` element with a random pseudonym.
#[derive(Clone, Debug)]
pub struct LoopMark {
    via: HeaderValue,
}

/// Where the token starts in the `Via` value (`1.1 ` is the protocol).
const TOKEN_AT: usize = 4;

impl Default for LoopMark {
    /// A new random token.
    fn default() -> LoopMark {
        // RandomState's keys are random per process and differ per instance; the time and the
        // process id make two servers of one process differ even if the keys were reused.
        let mut hasher = RandomState::new().build_hasher();
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        hasher.write_u128(since_epoch.as_nanos());
        hasher.write_u32(std::process::id());
        let text = format!("1.1 corsair-{:016x}", hasher.finish());
        // Hex digits, a dot and a space are header text, so this always parses.
        let via = HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("1.1 corsair"));
        LoopMark { via }
    }
}

impl LoopMark {
    /// The `Via` element to append to forwarded requests.
    pub fn via(&self) -> &HeaderValue {
        &self.via
    }

    /// Whether `headers` carry this mark: the request has been through this server already.
    /// No allocation: a scan of the `Via` lines, which most requests do not have.
    pub fn carried_by(&self, headers: &HeaderMap) -> bool {
        headers.get_all(header::VIA).iter().any(|v| self.in_via(v.as_bytes()))
    }

    /// Whether one `Via` line's value holds this mark; for heads read as bytes (the relay).
    pub fn in_via(&self, value: &[u8]) -> bool {
        let token = &self.via.as_bytes()[TOKEN_AT..];
        value.windows(token.len()).any(|w| w == token)
    }
}

/// The upstreams of `config` that are the proxy itself, listening on `listen`, names resolved
/// (pinned names as pinned); one text per such upstream, for an error.
pub async fn own_upstreams(config: &Config, listen: SocketAddr) -> Vec<String> {
    let resolver = PinnedResolver::new(config.resolve.clone());
    let mut addrs = Vec::new();
    for (host, port) in upstreams(config) {
        addrs.push(match literal(config, host, port) {
            Some(addr) => vec![addr],
            None => match tokio::time::timeout(RESOLVE_TIMEOUT, resolver.resolve(host, port)).await {
                Ok(Ok(found)) => found,
                _ => Vec::new(),
            },
        });
    }
    report(config, listen, &addrs)
}

/// [`own_upstreams`] without DNS (IP literals and pinned names only), for a reload, which must
/// not wait.
pub fn own_upstreams_now(config: &Config, listen: SocketAddr) -> Vec<String> {
    let addrs: Vec<Vec<SocketAddr>> =
        upstreams(config).map(|(host, port)| literal(config, host, port).into_iter().collect()).collect();
    report(config, listen, &addrs)
}

/// Each gateway route's upstream host (without IPv6 brackets) and port. The open proxy has
/// none: its SSRF guard refuses its own address already.
fn upstreams(config: &Config) -> impl Iterator<Item = (&str, u16)> {
    let routes = match &config.mode {
        Mode::Gateway(routes) => routes.as_slice(),
        Mode::Open(_) => &[],
    };
    routes.iter().map(|r| {
        let Upstream { scheme, authority, .. } = &r.upstream;
        let port = authority.port_u16().unwrap_or(if *scheme == Scheme::HTTPS { 443 } else { 80 });
        (authority.host().trim_start_matches('[').trim_end_matches(']'), port)
    })
}

/// The address of an IP literal or a pinned name.
fn literal(config: &Config, host: &str, port: u16) -> Option<SocketAddr> {
    let ip = host
        .parse::<IpAddr>()
        .ok()
        .or_else(|| corsair_core::address::ResolveRule::find(&config.resolve, host, port))?;
    Some(SocketAddr::new(ip, port))
}

/// The errors for the routes (in [`upstreams`] order) one of whose `addrs` is the listener.
fn report(config: &Config, listen: SocketAddr, addrs: &[Vec<SocketAddr>]) -> Vec<String> {
    let Mode::Gateway(routes) = &config.mode else { return Vec::new() };
    routes
        .iter()
        .zip(addrs)
        .filter_map(|(route, addrs)| {
            let addr = addrs.iter().find(|a| is_listener(**a, listen))?;
            let Upstream { scheme, authority, .. } = &route.upstream;
            Some(format!(
                "route {}: the upstream {scheme}://{authority} is {addr}, this proxy's own address, so every \
                 request would come back to it; point it at the API",
                route.prefix
            ))
        })
        .collect()
}

/// Whether a connection to `addr` would reach a listener on `listen`.
fn is_listener(addr: SocketAddr, listen: SocketAddr) -> bool {
    if addr.port() != listen.port() {
        return false;
    }
    let (to, on) = (addr.ip(), listen.ip());
    to == on || (on.is_unspecified() && is_local(to)) || (to.is_unspecified() && is_local(on))
}

/// Whether `ip` is one of this host's addresses: loopback, or one a socket can be bound to.
fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || UdpSocket::bind((ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carrying_this_servers_mark_is_a_loop_and_another_servers_is_not() {
        let (mine, other) = (LoopMark::default(), LoopMark::default());
        assert_ne!(mine.via(), other.via());
        let mut h = HeaderMap::new();
        assert!(!mine.carried_by(&h));
        h.append(header::VIA, HeaderValue::from_static("1.0 fred, 1.1 p.example"));
        h.append(header::VIA, other.via().clone());
        assert!(!mine.carried_by(&h));
        let listed = format!("1.1 cdn, {}, 1.1 lb", mine.via().to_str().unwrap());
        h.append(header::VIA, HeaderValue::from_str(&listed).unwrap());
        assert!(mine.carried_by(&h));
        assert!(mine.in_via(listed.as_bytes()) && !other.in_via(listed.as_bytes()));
    }

    #[test]
    fn the_listeners_address_is_its_own_on_every_interface_when_unspecified() {
        let on = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(is_listener(on("127.0.0.1:8080"), on("127.0.0.1:8080")));
        assert!(is_listener(on("127.0.0.1:8080"), on("0.0.0.0:8080")));
        assert!(is_listener(on("[::1]:8080"), on("[::]:8080")));
        assert!(is_listener(on("0.0.0.0:8080"), on("127.0.0.1:8080")));
        assert!(!is_listener(on("127.0.0.1:8081"), on("127.0.0.1:8080")));
        assert!(!is_listener(on("127.0.0.2:8080"), on("127.0.0.1:8080")));
        // Documentation addresses are nobody's.
        assert!(!is_listener(on("192.0.2.1:8080"), on("0.0.0.0:8080")));
    }
}
