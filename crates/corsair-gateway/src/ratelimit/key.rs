//! `RateKey`: whose requests a quota counts, a client network or an origin.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use corsair_core::OriginRef;

/// Which quota refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum By {
    /// The per-client quota (the client's IPv4 address or IPv6 /64).
    Client,
    /// The per-origin quota (the request's `Origin` header).
    Origin,
}

impl By {
    /// `client` or `origin`, for logs and response bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Client => "client",
            By::Origin => "origin",
        }
    }
}

impl fmt::Display for By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key a quota is counted under. Client keys and origin keys are different variants and
/// render with different prefixes, so a client can never spend an origin's quota or the
/// reverse.
///
/// Its `Display` is the key's name in a shared store (a store adds its own prefix, such as
/// `corsair:rl:`):
///
/// | key | rendered |
/// |---|---|
/// | IPv4 client `203.0.113.7` (also as `::ffff:203.0.113.7`) | `c4:203.0.113.7` |
/// | IPv6 client `2001:db8:1:2:a:b:c:d` | `c6:2001:db8:1:2::/64` |
/// | origin `https://app.example.com` | `o:https://app.example.com` |
/// | any `Origin` value that is not a serialised origin | `o-invalid` |
///
/// Every rendering is printable ASCII without spaces or braces (so no Redis Cluster hash tag),
/// at most 514 bytes long.
///
/// ```
/// use corsair_gateway::ratelimit::RateKey;
///
/// let a = RateKey::client("2001:db8:1:2::1".parse().unwrap());
/// let b = RateKey::client("2001:db8:1:2:ffff::9".parse().unwrap());
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "c6:2001:db8:1:2::/64");
/// assert_eq!(RateKey::origin(b"https://app.example").to_string(), "o:https://app.example");
/// assert_eq!(RateKey::origin(b"https://APP.example").to_string(), "o-invalid");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateKey<'a>(Repr<'a>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Repr<'a> {
    Ipv4(Ipv4Addr),
    /// The address with its last 64 bits zeroed.
    Ipv6Net(Ipv6Addr),
    Origin(&'a str),
    InvalidOrigin,
}

impl<'a> RateKey<'a> {
    /// The key of a client address. An IPv4 address counts alone (IPv4-mapped IPv6 forms, as
    /// a dual-stack socket reports them, count as the IPv4 address). An IPv6 address counts as
    /// its /64: a subscriber or host is usually given a whole /64 and picks addresses in it at
    /// will (SLAAC privacy addresses rotate daily), so keying by /128 would hand one user 2^64
    /// fresh quotas. Clients that share a /64 share a quota, which errs on the strict side.
    ///
    /// The address is whatever the caller trusts as the client's: the peer address, or a
    /// forwarded address only when the proxy in front is trusted to set it.
    pub fn client(ip: IpAddr) -> RateKey<'static> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => RateKey(Repr::Ipv4(v4)),
            IpAddr::V6(v6) => RateKey(Repr::Ipv6Net(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX)))),
        }
    }

    /// The key of an `Origin` header value. A serialised origin (what browsers send, checked by
    /// [`OriginRef::parse`]) is its own key; every other value shares the single `o-invalid`
    /// key. Only non-browser clients send malformed origins, and sharing one key means they
    /// cannot mint a fresh quota, or a fresh store entry, per garbage value.
    pub fn origin(header: &'a [u8]) -> RateKey<'a> {
        match OriginRef::parse(header) {
            Some(origin) => RateKey(Repr::Origin(origin.as_str())),
            None => RateKey(Repr::InvalidOrigin),
        }
    }

    /// Which kind of quota this key is counted under.
    pub fn by(&self) -> By {
        match self.0 {
            Repr::Ipv4(_) | Repr::Ipv6Net(_) => By::Client,
            Repr::Origin(_) | Repr::InvalidOrigin => By::Origin,
        }
    }
}

impl fmt::Display for RateKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Ipv4(ip) => write!(f, "c4:{ip}"),
            Repr::Ipv6Net(net) => write!(f, "c6:{net}/64"),
            Repr::Origin(origin) => write!(f, "o:{origin}"),
            Repr::InvalidOrigin => f.write_str("o-invalid"),
        }
    }
}
