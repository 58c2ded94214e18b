//! The SSRF guard: which addresses the proxy may connect to.
//!
//! The rule is simple and applied late: resolve the name, classify every address the resolver
//! returned, and connect only to an address that was checked. Checking the name, or resolving
//! twice, would leave a window for DNS rebinding (first answer public, second answer 10.0.0.1).
//! Every redirect hop goes through the same check.
//!
//! ```
//! use corsair_gateway::egress::{Egress, Refusal};
//! use corsair_core::address::AddressClass;
//!
//! let guard = Egress::default();
//! assert!(guard.check("93.184.216.34".parse().unwrap()).is_ok());
//! assert_eq!(
//!     guard.check("::ffff:169.254.169.254".parse().unwrap()),
//!     Err(Refusal::NotPublic { class: AddressClass::LinkLocal })
//! );
//! let opened = Egress::default().allow("10.20.0.0/16".parse().unwrap());
//! assert!(opened.check("10.20.1.2".parse().unwrap()).is_ok());
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};

use corsair_core::address::{classify, embedded_ipv4, AddressClass};

/// An address range, `ADDR/PREFIX` or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True if `ip` is in the range. An IPv4 range also holds the IPv6 forms that carry one of
    /// its addresses (`::ffff:10.0.0.1` is in `10.0.0.0/8`).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match embedded_ipv4(v6) {
                Some((v4, _)) => IpAddr::V4(v4),
                None => return false,
            },
            _ => ip,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    /// Parses `10.0.0.0/8`, `fd00::/8` or a single address; host bits must be zero.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an address range; write e.g. 10.0.0.0/8 or fd00::/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        let cidr = Cidr { network, prefix };
        let canonical = match network {
            IpAddr::V4(n) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4((u32::from(n) & mask).into())
            }
            IpAddr::V6(n) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6((u128::from(n) & mask).into())
            }
        };
        if canonical != network {
            return Err(format!("`{s}` has host bits set; write {canonical}/{prefix}"));
        }
        Ok(cidr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Why the guard refused an address or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The address is not public and no rule opens it.
    NotPublic {
        /// What it is.
        class: AddressClass,
    },
    /// The address is the proxy's own listening address.
    OwnAddress,
    /// The name resolved to nothing.
    NoAddress,
    /// Resolution failed.
    Resolve(String),
    /// Every address the name resolved to was refused; the first reason is kept.
    AllRefused {
        /// The first address refused.
        addr: IpAddr,
        /// Why.
        class: AddressClass,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotPublic { class } => write!(f, "the address is not public ({class:?})"),
            Refusal::OwnAddress => f.write_str("the address is the proxy's own"),
            Refusal::NoAddress => f.write_str("the name has no address"),
            Refusal::Resolve(e) => write!(f, "the name did not resolve: {e}"),
            Refusal::AllRefused { addr, class } => write!(f, "it resolves to {addr}, which is not public ({class:?})"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Resolves names; the system resolver in production, a fixed table in tests.
pub trait Resolver {
    /// All addresses for `host:port`.
    fn resolve(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send;
}

/// The operating system's resolver (`getaddrinfo` through tokio).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// The egress rules: public addresses only, plus explicitly opened ranges, minus the proxy's
/// own addresses.
#[derive(Clone, Debug, Default)]
pub struct Egress {
    allow: Vec<Cidr>,
    own: Vec<SocketAddr>,
}

impl Egress {
    /// Opens a non-public range (an internal API the gateway fronts).
    pub fn allow(mut self, range: Cidr) -> Egress {
        self.allow.push(range);
        self
    }

    /// Refuses the proxy's own listening address, whatever the rules (a loop).
    pub fn own_address(mut self, addr: SocketAddr) -> Egress {
        self.own.push(addr);
        self
    }

    /// Checks one address.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        let class = classify(ip);
        if class.is_public() || self.allow.iter().any(|r| r.contains(ip)) {
            return Ok(());
        }
        Err(Refusal::NotPublic { class })
    }

    /// Checks one socket address, including the proxy's own.
    pub fn check_socket(&self, addr: SocketAddr) -> Result<(), Refusal> {
        let own = self.own.iter().any(|o| {
            o.port() == addr.port()
                && (o.ip() == addr.ip() || (o.ip().is_unspecified() && classify(addr.ip()) != AddressClass::Public))
        });
        if own {
            return Err(Refusal::OwnAddress);
        }
        self.check(addr.ip())
    }

    /// Resolves `host` once and returns the first permitted address: connect to exactly this
    /// one. An IP literal is checked without asking the resolver.
    pub async fn resolve(&self, resolver: &impl Resolver, host: &str, port: u16) -> Result<SocketAddr, Refusal> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            let addr = SocketAddr::new(ip, port);
            self.check_socket(addr)?;
            return Ok(addr);
        }
        let addrs = resolver.resolve(bare, port).await.map_err(|e| Refusal::Resolve(e.to_string()))?;
        let mut first_refusal = None;
        for addr in addrs {
            match self.check_socket(addr) {
                Ok(()) => return Ok(addr),
                Err(_) if first_refusal.is_some() => {}
                Err(_) => first_refusal = Some((addr.ip(), classify(addr.ip()))),
            }
        }
        match first_refusal {
            Some((addr, class)) => Err(Refusal::AllRefused { addr, class }),
            None => Err(Refusal::NoAddress),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Answers from a table, one answer list per call (to simulate rebinding).
    struct Table(Mutex<HashMap<String, Vec<Vec<IpAddr>>>>);

    impl Table {
        fn new(entries: &[(&str, &[&[&str]])]) -> Table {
            let map = entries
                .iter()
                .map(|(h, answers)| {
                    let answers = answers.iter().map(|a| a.iter().map(|ip| ip.parse().unwrap()).collect()).collect();
                    (h.to_string(), answers)
                })
                .collect();
            Table(Mutex::new(map))
        }
    }

    impl Resolver for Table {
        async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
            let mut map = self.0.lock().unwrap();
            let answers = map.get_mut(host).ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such name"))?;
            let ips = if answers.len() > 1 { answers.remove(0) } else { answers[0].clone() };
            Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect())
        }
    }

    #[test]
    fn cidrs_parse_strictly() {
        assert_eq!("10.0.0.0/8".parse::<Cidr>().unwrap().to_string(), "10.0.0.0/8");
        assert_eq!("fd00::/8".parse::<Cidr>().unwrap().to_string(), "fd00::/8");
        assert_eq!("127.0.0.5".parse::<Cidr>().unwrap().to_string(), "127.0.0.5/32");
        assert!("10.0.0.1/8".parse::<Cidr>().unwrap_err().contains("write 10.0.0.0/8"));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example.com/8".parse::<Cidr>().is_err());
        assert_eq!("0.0.0.0/0".parse::<Cidr>().unwrap().to_string(), "0.0.0.0/0");
    }

    #[test]
    fn cidr_membership_includes_embedded_ipv4_forms() {
        let r: Cidr = "10.0.0.0/8".parse().unwrap();
        for yes in ["10.0.0.1", "10.255.255.255", "::ffff:10.1.2.3", "64:ff9b::a00:1"] {
            assert!(r.contains(yes.parse().unwrap()), "{yes}");
        }
        for no in ["11.0.0.0", "9.255.255.255", "fd00::1", "::ffff:11.0.0.1"] {
            assert!(!r.contains(no.parse().unwrap()), "{no}");
        }
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn only_public_addresses_pass_by_default() {
        let g = Egress::default();
        for refused in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "224.0.0.1",
            "255.255.255.255",
            "2001:db8::1",
        ] {
            assert!(g.check(refused.parse().unwrap()).is_err(), "{refused}");
        }
        for allowed in ["1.1.1.1", "::ffff:1.1.1.1", "2606:4700::1111"] {
            assert!(g.check(allowed.parse().unwrap()).is_ok(), "{allowed}");
        }
    }

    #[test]
    fn allow_rules_open_only_their_range() {
        let g = Egress::default().allow("127.0.0.5/32".parse().unwrap());
        assert!(g.check("127.0.0.5".parse().unwrap()).is_ok());
        assert!(g.check("127.0.0.6".parse().unwrap()).is_err());
    }

    #[test]
    fn the_proxys_own_address_is_refused_even_when_opened() {
        let own: SocketAddr = "127.0.0.5:8080".parse().unwrap();
        let g = Egress::default().allow("127.0.0.0/8".parse().unwrap()).own_address(own);
        assert_eq!(g.check_socket(own), Err(Refusal::OwnAddress));
        assert!(g.check_socket("127.0.0.5:8081".parse().unwrap()).is_ok());
        let any: SocketAddr = "0.0.0.0:9000".parse().unwrap();
        let g = Egress::default().allow("127.0.0.0/8".parse().unwrap()).own_address(any);
        assert_eq!(g.check_socket("127.0.0.9:9000".parse().unwrap()), Err(Refusal::OwnAddress));
    }

    #[tokio::test]
    async fn names_are_resolved_once_and_the_checked_address_is_returned() {
        // Test names map to loopback addresses only; loopback stays refused unless opened.
        let table = Table::new(&[
            ("api.test", &[&["127.0.0.7"]]),
            ("mixed.test", &[&["127.0.0.8", "127.0.0.7"]]),
            ("empty.test", &[&[]]),
        ]);
        let g = Egress::default();
        assert_eq!(
            g.resolve(&table, "api.test", 80).await,
            Err(Refusal::AllRefused { addr: "127.0.0.7".parse().unwrap(), class: AddressClass::Loopback })
        );
        let opened = Egress::default().allow("127.0.0.7/32".parse().unwrap());
        assert_eq!(opened.resolve(&table, "api.test", 80).await, Ok("127.0.0.7:80".parse().unwrap()));
        assert_eq!(opened.resolve(&table, "mixed.test", 443).await, Ok("127.0.0.7:443".parse().unwrap()));
        assert_eq!(opened.resolve(&table, "empty.test", 80).await, Err(Refusal::NoAddress));
        assert!(matches!(opened.resolve(&table, "missing.test", 80).await, Err(Refusal::Resolve(_))));
    }

    #[tokio::test]
    async fn rebinding_cannot_slip_through() {
        // First answer allowed, second refused: each resolution is checked, and the caller
        // connects to the address it was given, never resolving again.
        let table = Table::new(&[("rebind.test", &[&["127.0.0.7"], &["127.0.0.1"]])]);
        let g = Egress::default().allow("127.0.0.7/32".parse().unwrap());
        let first = g.resolve(&table, "rebind.test", 80).await;
        assert_eq!(first, Ok("127.0.0.7:80".parse().unwrap()));
        let second = g.resolve(&table, "rebind.test", 80).await;
        assert_eq!(
            second,
            Err(Refusal::AllRefused { addr: "127.0.0.1".parse().unwrap(), class: AddressClass::Loopback })
        );
    }

    #[tokio::test]
    async fn ip_literals_are_checked_without_the_resolver() {
        let table = Table::new(&[]);
        let g = Egress::default();
        assert_eq!(
            g.resolve(&table, "[::ffff:10.0.0.1]", 80).await,
            Err(Refusal::NotPublic { class: AddressClass::Private })
        );
        assert_eq!(g.resolve(&table, "1.1.1.1", 80).await, Ok("1.1.1.1:80".parse().unwrap()));
    }
}
