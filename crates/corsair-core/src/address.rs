//! IP address classification: which addresses are the public internet, and which are this
//! machine, a private network, or special-purpose ranges.
//!
//! Two users, one table. The browser model asks which Local Network Access space an address is
//! in (Chromium gates requests from public pages to `local` and `loopback` ones); the gateway's
//! SSRF guard refuses every address that is not [`AddressClass::Public`]. IPv6 forms that carry
//! an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the IPv4 address
//! they carry, so `::ffff:10.0.0.1` is as private as `10.0.0.1`.
//!
//! ```
//! use corsair_core::address::{classify, AddressClass};
//! use std::net::IpAddr;
//!
//! let mapped: IpAddr = "::ffff:169.254.169.254".parse().unwrap();
//! assert_eq!(classify(mapped), AddressClass::LinkLocal);
//! assert!(!classify(mapped).is_public());
//! assert!(classify("93.184.216.34".parse().unwrap()).is_public());
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::cors_error::AddressSpace;

/// What an address is, for routing decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// Globally routable.
    Public,
    /// This machine: 127.0.0.0/8, `::1`.
    Loopback,
    /// The unspecified address, 0.0.0.0 or `::`: connecting to it reaches this machine.
    Unspecified,
    /// The rest of 0.0.0.0/8 ("this network").
    ThisNetwork,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// Carrier-grade NAT, RFC 6598: 100.64/10.
    SharedNat,
    /// 169.254/16, fe80::/10 (cloud metadata services live here).
    LinkLocal,
    /// IPv6 unique local, fc00::/7, and the deprecated site-local fec0::/10.
    UniqueLocal,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Documentation and benchmarking ranges: 192.0.2/24, 198.51.100/24, 203.0.113/24,
    /// 198.18/15, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// Reserved or protocol-specific: 240/4, 192.0.0/24, 192.88.99/24, Teredo 2001::/32,
    /// the local-use NAT64 prefix 64:ff9b:1::/48, discard-only 100::/64.
    Reserved,
}

impl AddressClass {
    /// True only for globally routable addresses: the only ones an open proxy may reach.
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    /// Chromium's Local Network Access space for this class (`ip_address_space_util.cc`):
    /// loopback for 127/8, `::1`, 0.0.0.0 and `::`; local for the private, shared, link-local,
    /// unique-local and documentation ranges and the rest of 0/8; public for everything else.
    pub fn address_space(self) -> AddressSpace {
        match self {
            AddressClass::Loopback | AddressClass::Unspecified => AddressSpace::Loopback,
            AddressClass::ThisNetwork
            | AddressClass::Private
            | AddressClass::SharedNat
            | AddressClass::LinkLocal
            | AddressClass::UniqueLocal
            | AddressClass::Documentation => AddressSpace::Local,
            AddressClass::Public | AddressClass::Multicast | AddressClass::Broadcast | AddressClass::Reserved => {
                AddressSpace::Public
            }
        }
    }
}

/// How an IPv6 address carries an IPv4 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Embedding {
    /// `::ffff:a.b.c.d` (RFC 4291).
    Mapped,
    /// `::a.b.c.d`, deprecated (RFC 4291).
    Compatible,
    /// `64:ff9b::a.b.c.d`, the well-known NAT64 prefix (RFC 6052).
    Nat64,
    /// `2002:AABB:CCDD::/48`, 6to4 (RFC 3056).
    SixToFour,
}

/// The IPv4 address an IPv6 address stands for, if it is one of the embedding forms.
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<(Ipv4Addr, Embedding)> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0; 5] && s[5] == 0xffff {
        return Some((low, Embedding::Mapped));
    }
    // `::` and `::1` are themselves, not IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
    if s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1) {
        return Some((low, Embedding::Compatible));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some((low, Embedding::Nat64));
    }
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return Some((v4, Embedding::SixToFour));
    }
    None
}

/// Classifies an address, judging IPv6 embedding forms by the IPv4 address they carry.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some((v4, _)) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

/// Classifies an IPv4 address.
pub fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (127, ..) => AddressClass::Loopback,
        _ if ip.is_unspecified() => AddressClass::Unspecified,
        (0, ..) => AddressClass::ThisNetwork,
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => AddressClass::Private,
        (100, 64..=127, _) => AddressClass::SharedNat,
        (169, 254, _) => AddressClass::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => AddressClass::Documentation,
        (192, 0, 0) | (192, 88, 99) => AddressClass::Reserved,
        (224..=239, ..) => AddressClass::Multicast,
        (255, 255, 255) if ip.octets()[3] == 255 => AddressClass::Broadcast,
        (240..=255, ..) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

/// Classifies an IPv6 address as it is (no unwrapping; see [`classify`]).
pub fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if s[0] & 0xff00 == 0xff00 {
        AddressClass::Multicast
    } else if s[0] & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        AddressClass::UniqueLocal
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000) {
        AddressClass::Documentation
    } else if (s[0] == 0x2001 && s[1] == 0)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0])
        || s[0] & 0xe000 != 0x2000
    {
        // Teredo, local-use NAT64, discard-only, and everything outside global unicast 2000::/3.
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

/// One `--resolve` rule: connect to `addr` for `host` (on `port`, or any port), as curl's
/// `--resolve HOST:PORT:ADDR`, with `*` for any port. Every command spells it the same way, so
/// a rule copied from `corsair check` works in `corsair proxy` and back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResolveRule {
    /// The host name, lower case, without a trailing dot.
    pub host: String,
    /// The port, or `None` for any (`*`).
    pub port: Option<u16>,
    /// The address to connect to instead of asking DNS.
    pub addr: IpAddr,
}

impl ResolveRule {
    /// Whether this rule pins `host` (any case, a trailing dot ignored) on `port`.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host);
        self.host.eq_ignore_ascii_case(host) && self.port.is_none_or(|p| p == port)
    }

    /// The address pinned for `host` on `port`: a rule for that port wins over a `*` rule.
    pub fn find(rules: &[ResolveRule], host: &str, port: u16) -> Option<IpAddr> {
        let mut any = None;
        for rule in rules.iter().filter(|r| r.matches(host, port)) {
            match rule.port {
                Some(_) => return Some(rule.addr),
                None => any = any.or(Some(rule.addr)),
            }
        }
        any
    }
}

impl std::str::FromStr for ResolveRule {
    type Err = String;

    /// Parses `HOST:PORT:ADDR` or `HOST:*:ADDR`; ADDR is IPv4 or IPv6, bracketed or not.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            format!("`{s}` is not HOST:PORT:ADDR ({why}); write e.g. api.example.test:443:127.0.0.2, or api.example.test:*:127.0.0.2 for any port")
        };
        let mut parts = s.splitn(3, ':');
        let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("three parts are needed"));
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() || host.starts_with('[') || host.parse::<IpAddr>().is_ok() {
            return Err(bad("HOST must be a name"));
        }
        if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
            return Err(bad("HOST must be a name"));
        }
        let port = match port {
            "*" => None,
            p => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
                _ => return Err(bad("PORT must be 1 to 65535 or *")),
            },
        };
        let addr = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(addr);
        let addr = addr.parse::<IpAddr>().map_err(|_| bad("ADDR must be an IP address"))?;
        Ok(ResolveRule { host: host.to_ascii_lowercase(), port, addr })
    }
}

impl std::fmt::Display for ResolveRule {
    /// The rule as it is written on a command line (IPv6 addresses bracketed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.host)?;
        match self.port {
            Some(p) => write!(f, "{p}:")?,
            None => f.write_str("*:")?,
        }
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}"),
            IpAddr::V6(a) => write!(f, "[{a}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn resolve_rules_parse_every_spelling_and_print_back() {
        for (text, host, port, addr, printed) in [
            ("api.test:443:127.0.0.2", "api.test", Some(443), "127.0.0.2", "api.test:443:127.0.0.2"),
            ("API.Test.:8080:::1", "api.test", Some(8080), "::1", "api.test:8080:[::1]"),
            ("api.test:*:[::1]", "api.test", None, "::1", "api.test:*:[::1]"),
        ] {
            let rule: ResolveRule = text.parse().unwrap();
            assert_eq!((rule.host.as_str(), rule.port, rule.addr), (host, port, addr.parse().unwrap()), "{text}");
            assert_eq!(rule.to_string(), printed);
            assert_eq!(printed.parse::<ResolveRule>().unwrap(), rule, "round trip of {printed}");
        }
    }

    #[test]
    fn resolve_rules_refuse_what_is_not_host_port_addr() {
        for (text, why) in [
            ("api.test:127.0.0.2", "three parts"),
            ("api.test:0:127.0.0.2", "PORT"),
            ("api.test:+80:127.0.0.2", "PORT"),
            ("api.test:65536:127.0.0.2", "PORT"),
            ("api.test:80:localhost", "ADDR"),
            (":80:127.0.0.2", "HOST"),
            ("127.0.0.1:80:127.0.0.2", "HOST"),
            ("a b:80:127.0.0.2", "HOST"),
            ("", "three parts"),
        ] {
            let e = text.parse::<ResolveRule>().unwrap_err();
            assert!(e.contains(why) && e.contains("api.example.test:*:127.0.0.2"), "{text}: {e}");
        }
    }

    #[test]
    fn a_port_rule_wins_over_an_any_port_rule() {
        let rules: Vec<ResolveRule> =
            ["api.test:*:127.0.0.3", "api.test:443:127.0.0.2"].iter().map(|r| r.parse().unwrap()).collect();
        assert_eq!(ResolveRule::find(&rules, "API.test.", 443), Some("127.0.0.2".parse().unwrap()));
        assert_eq!(ResolveRule::find(&rules, "api.test", 80), Some("127.0.0.3".parse().unwrap()));
        assert_eq!(ResolveRule::find(&rules, "other.test", 80), None);
    }

    use super::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn every_ipv4_range_at_its_edges() {
        let table: &[(&str, AddressClass)] = &[
            ("0.0.0.0", AddressClass::Unspecified),
            ("0.0.0.1", AddressClass::ThisNetwork),
            ("0.255.255.255", AddressClass::ThisNetwork),
            ("1.0.0.0", AddressClass::Public),
            ("9.255.255.255", AddressClass::Public),
            ("10.0.0.0", AddressClass::Private),
            ("10.255.255.255", AddressClass::Private),
            ("11.0.0.0", AddressClass::Public),
            ("100.63.255.255", AddressClass::Public),
            ("100.64.0.0", AddressClass::SharedNat),
            ("100.127.255.255", AddressClass::SharedNat),
            ("100.128.0.0", AddressClass::Public),
            ("126.255.255.255", AddressClass::Public),
            ("127.0.0.0", AddressClass::Loopback),
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.255.255", AddressClass::Loopback),
            ("128.0.0.0", AddressClass::Public),
            ("169.253.255.255", AddressClass::Public),
            ("169.254.0.0", AddressClass::LinkLocal),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("169.255.0.0", AddressClass::Public),
            ("172.15.255.255", AddressClass::Public),
            ("172.16.0.0", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("172.32.0.0", AddressClass::Public),
            ("192.0.0.8", AddressClass::Reserved),
            ("192.0.2.1", AddressClass::Documentation),
            ("192.0.3.0", AddressClass::Public),
            ("192.88.99.1", AddressClass::Reserved),
            ("192.167.255.255", AddressClass::Public),
            ("192.168.0.0", AddressClass::Private),
            ("192.168.255.255", AddressClass::Private),
            ("192.169.0.0", AddressClass::Public),
            ("198.17.255.255", AddressClass::Public),
            ("198.18.0.0", AddressClass::Documentation),
            ("198.19.255.255", AddressClass::Documentation),
            ("198.20.0.0", AddressClass::Public),
            ("198.51.100.7", AddressClass::Documentation),
            ("203.0.113.255", AddressClass::Documentation),
            ("223.255.255.255", AddressClass::Public),
            ("224.0.0.0", AddressClass::Multicast),
            ("239.255.255.255", AddressClass::Multicast),
            ("240.0.0.0", AddressClass::Reserved),
            ("255.255.255.254", AddressClass::Reserved),
            ("255.255.255.255", AddressClass::Broadcast),
            ("8.8.8.8", AddressClass::Public),
        ];
        for (addr, want) in table {
            assert_eq!(class(addr), *want, "{addr}");
        }
    }

    #[test]
    fn every_ipv6_range() {
        let table: &[(&str, AddressClass)] = &[
            ("::", AddressClass::Unspecified),
            ("::1", AddressClass::Loopback),
            ("fe80::1", AddressClass::LinkLocal),
            ("febf:ffff::1", AddressClass::LinkLocal),
            ("fec0::1", AddressClass::UniqueLocal),
            ("fc00::1", AddressClass::UniqueLocal),
            ("fdff:ffff::1", AddressClass::UniqueLocal),
            ("ff02::1", AddressClass::Multicast),
            ("2001:db8::1", AddressClass::Documentation),
            ("3fff:fff::1", AddressClass::Documentation),
            ("3fff:1000::1", AddressClass::Public),
            ("2001::1", AddressClass::Reserved),
            ("64:ff9b:1::1", AddressClass::Reserved),
            ("100::1", AddressClass::Reserved),
            ("4000::1", AddressClass::Reserved),
            ("2606:4700::1111", AddressClass::Public),
            ("2a00:1450::1", AddressClass::Public),
        ];
        for (addr, want) in table {
            assert_eq!(class(addr), *want, "{addr}");
        }
    }

    #[test]
    fn embedded_ipv4_forms_are_judged_by_what_they_carry() {
        let table: &[(&str, AddressClass, Embedding)] = &[
            ("::ffff:127.0.0.1", AddressClass::Loopback, Embedding::Mapped),
            ("::ffff:10.1.2.3", AddressClass::Private, Embedding::Mapped),
            ("::ffff:169.254.169.254", AddressClass::LinkLocal, Embedding::Mapped),
            ("::ffff:8.8.8.8", AddressClass::Public, Embedding::Mapped),
            ("::127.0.0.1", AddressClass::Loopback, Embedding::Compatible),
            ("::192.168.1.1", AddressClass::Private, Embedding::Compatible),
            ("64:ff9b::10.0.0.1", AddressClass::Private, Embedding::Nat64),
            ("64:ff9b::7f00:1", AddressClass::Loopback, Embedding::Nat64),
            ("64:ff9b::8.8.8.8", AddressClass::Public, Embedding::Nat64),
            ("2002:7f00:1::", AddressClass::Loopback, Embedding::SixToFour),
            ("2002:a9fe:a9fe::1", AddressClass::LinkLocal, Embedding::SixToFour),
            ("2002:0808:0808::1", AddressClass::Public, Embedding::SixToFour),
        ];
        for (addr, want, how) in table {
            let ip: Ipv6Addr = addr.parse().unwrap();
            assert_eq!(embedded_ipv4(ip).map(|(_, e)| e), Some(*how), "{addr}");
            assert_eq!(class(addr), *want, "{addr}");
        }
        assert_eq!(embedded_ipv4("::1".parse().unwrap()), None);
        assert_eq!(embedded_ipv4("::".parse().unwrap()), None);
        assert_eq!(embedded_ipv4("2606:4700::1".parse().unwrap()), None);
    }

    #[test]
    fn only_public_addresses_are_public() {
        for addr in ["127.0.0.1", "10.0.0.1", "::ffff:192.168.0.1", "fd00::1", "0.0.0.0", "224.0.0.1", "2001:db8::1"] {
            assert!(!class(addr).is_public(), "{addr}");
        }
        for addr in ["1.1.1.1", "::ffff:1.1.1.1", "2606:4700::1111"] {
            assert!(class(addr).is_public(), "{addr}");
        }
    }

    #[test]
    fn chromium_address_spaces() {
        let table: &[(&str, AddressSpace)] = &[
            ("127.0.0.1", AddressSpace::Loopback),
            ("::1", AddressSpace::Loopback),
            ("0.0.0.0", AddressSpace::Loopback),
            ("::", AddressSpace::Loopback),
            ("10.0.0.1", AddressSpace::Local),
            ("172.16.0.1", AddressSpace::Local),
            ("192.168.1.1", AddressSpace::Local),
            ("169.254.1.1", AddressSpace::Local),
            ("100.64.0.1", AddressSpace::Local),
            ("0.1.2.3", AddressSpace::Local),
            ("fd00::1", AddressSpace::Local),
            ("fe80::1", AddressSpace::Local),
            ("fec0::1", AddressSpace::Local),
            ("2001:db8::1", AddressSpace::Local),
            ("3fff::1", AddressSpace::Local),
            ("::ffff:10.0.0.1", AddressSpace::Local),
            ("8.8.8.8", AddressSpace::Public),
            ("2606:4700::1111", AddressSpace::Public),
        ];
        for (addr, want) in table {
            assert_eq!(class(addr).address_space(), *want, "{addr}");
        }
    }
}
