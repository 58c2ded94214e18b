//! Names to addresses, `--resolve` pins first: `curl --resolve`'s idea, so a test or a user can
//! aim a real name at a local server without touching DNS or `/etc/hosts`.

use std::io;
use std::net::{IpAddr, SocketAddr};

use corsair_core::address::ResolveRule;

/// The address `pins` give `host:port`, if one covers it (the rule for the port wins over a `*`
/// rule). `host` may be an IPv6 literal in brackets, as URLs write it.
pub fn pinned(pins: &[ResolveRule], host: &str, port: u16) -> Option<SocketAddr> {
    ResolveRule::find(pins, bare(host), port).map(|ip| SocketAddr::new(ip, port))
}

/// Every address of `host:port`: a pinned one, else the IP literal itself, else what DNS
/// answers. A name under `.invalid` (RFC 6761) never resolves, so no resolver is asked.
pub async fn lookup(pins: &[ResolveRule], host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Some(addr) = pinned(pins, host, port) {
        return Ok(vec![addr]);
    }
    let bare = bare(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if bare.trim_end_matches('.').to_ascii_lowercase().ends_with(".invalid") {
        return Err(io::Error::new(io::ErrorKind::NotFound, "a reserved name (.invalid) that never resolves"));
    }
    Ok(tokio::net::lookup_host((bare, port)).await?.collect())
}

/// `host` without the brackets of an IPv6 literal.
fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(rules: &[&str]) -> Vec<ResolveRule> {
        rules.iter().map(|r| r.parse().unwrap()).collect()
    }

    #[test]
    fn the_rule_for_the_port_wins_over_any_port() {
        let p = pins(&["api.test:*:127.0.0.2", "api.test:8443:[::1]"]);
        assert_eq!(pinned(&p, "api.test", 8443), Some("[::1]:8443".parse().unwrap()));
        assert_eq!(pinned(&p, "api.test", 80), Some("127.0.0.2:80".parse().unwrap()));
        assert_eq!(pinned(&p, "other.test", 80), None);
    }

    #[tokio::test]
    async fn literals_are_their_own_address_and_invalid_names_never_resolve() {
        let none = pins(&[]);
        assert_eq!(lookup(&none, "[::1]", 8080).await.unwrap(), ["[::1]:8080".parse().unwrap()]);
        assert_eq!(lookup(&none, "127.0.0.3", 1).await.unwrap(), ["127.0.0.3:1".parse().unwrap()]);
        let err = lookup(&none, "api.example.invalid", 443).await.unwrap_err();
        assert!(err.to_string().contains(".invalid"), "{err}");
        // A pin wins even over the reserved names: tests aim `.invalid` names at loopback.
        let p = pins(&["api.example.invalid:443:127.0.0.4"]);
        assert_eq!(lookup(&p, "api.example.invalid", 443).await.unwrap(), ["127.0.0.4:443".parse().unwrap()]);
    }
}
