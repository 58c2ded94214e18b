//! The origins each kind is proven with: names a correct policy refuses, built from the site
//! and the hosts it trusts. Pure functions, so the probe set is tested without a network.

use corsair_core::Origin;

/// The attacker's domain in prefix and special-character probes.
pub const EVIL: &str = "evil.example";

/// Characters that browsers keep in host names and that lax server-side parsers stop at, so
/// `https://trusted.host_.evil.example` reads as `trusted.host` to the server. Only `_`: the
/// other characters peer scanners send (`` ` ``, `!`, `$`, `{`, ...) are not valid in a host by
/// the WHATWG URL parser that Chromium and Firefox follow, so no origin a page can have holds them.
pub const SPECIAL: [char; 1] = ['_'];

/// The method of the permissive-preflight probe: one caches and CDNs know, no API lists for
/// browsers, and not forbidden by Fetch (as `CONNECT`, `TRACE` are).
pub const PREFLIGHT_METHOD: &str = "PURGE";

/// The site of a host: its registrable domain by the Public Suffix List, or the host itself for
/// IP addresses and names the list cannot split.
pub fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    psl::domain_str(&host).map(str::to_owned).unwrap_or(host)
}

/// `scheme://host`, if it parses to exactly that origin (a probe must be sent as written).
pub fn origin(scheme: &str, host: &str) -> Option<Origin> {
    let text = format!("{scheme}://{host}");
    Origin::parse(&text).ok().filter(|o| o.as_str() == text)
}

/// `scheme://evil<site>`: a registrable name that ends with the site.
pub fn suffix(scheme: &str, site: &str) -> Option<Origin> {
    origin(scheme, &format!("evil{site}"))
}

/// `scheme://<host>.evil.example`: a name that starts with a trusted host.
pub fn prefix(scheme: &str, host: &str) -> Option<Origin> {
    origin(scheme, &format!("{host}.{EVIL}"))
}

/// The trusted host with the dot that joins it to the site replaced by `x`
/// (`www.example.com` gives `wwwxexample.com`, a domain anyone can register); `None` for the
/// site itself.
pub fn unescaped_dot(scheme: &str, host: &str, site: &str) -> Option<Origin> {
    let sub = host.strip_suffix(site)?.strip_suffix('.')?;
    if sub.is_empty() {
        return None;
    }
    origin(scheme, &format!("{sub}x{site}"))
}

/// `scheme://<host><c>.evil.example` for each special character the URL parser keeps.
pub fn special(scheme: &str, host: &str) -> Vec<Origin> {
    SPECIAL.iter().filter_map(|c| origin(scheme, &format!("{host}{c}.{EVIL}"))).collect()
}

/// The local origins developers leave in allow-lists.
pub fn localhost() -> Vec<Origin> {
    ["localhost", "localhost:3000", "127.0.0.1", "127.0.0.1:8080"].iter().filter_map(|h| origin("http", h)).collect()
}

/// A label nobody owns, different at each call, so no cache or allow-list can know it.
pub fn random_label() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    format!("corsair-{:08x}", h.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_is_the_registrable_domain() {
        assert_eq!(site_of("api.example.com"), "example.com");
        assert_eq!(site_of("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(site_of("api.example.test"), "example.test");
        assert_eq!(site_of("127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn bypass_names_are_outside_the_site() {
        let site = "example.com";
        for o in [
            suffix("https", site).unwrap(),
            prefix("https", "www.example.com").unwrap(),
            unescaped_dot("https", "www.example.com", site).unwrap(),
        ] {
            assert_ne!(site_of(o.host()), site, "{o} must not be on the site");
        }
        assert_eq!(suffix("https", site).unwrap().as_str(), "https://evilexample.com");
        assert_eq!(unescaped_dot("https", "www.example.com", site).unwrap().as_str(), "https://wwwxexample.com");
        assert_eq!(unescaped_dot("https", "a.b.example.com", site).unwrap().as_str(), "https://a.bxexample.com");
        assert_eq!(unescaped_dot("https", "example.com", site), None);
    }

    #[test]
    fn special_probes_parse_as_written() {
        let probes = special("https", "www.example.com");
        assert_eq!(probes, [Origin::parse("https://www.example.com_.evil.example").unwrap()]);
        // What the URL parser does not keep as written is no origin, so it is never sent.
        assert_eq!(origin("https", "www.example.com`.evil.example"), None);
        assert!(probes.iter().all(|o| o.host().ends_with(".evil.example")));
    }

    #[test]
    fn random_labels_differ() {
        assert_ne!(random_label(), random_label());
    }
}
