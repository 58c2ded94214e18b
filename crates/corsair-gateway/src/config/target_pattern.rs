//! The open proxy's target hosts (`allow_targets`, `--allow-target`): which hosts it may reach.

/// A target host the open proxy may reach: `api.example.com` or `*.example.com` (subdomains,
/// not the apex), optionally with `:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetPattern {
    host: String,
    subdomains: bool,
    port: Option<u16>,
}

impl TargetPattern {
    /// Parses `host`, `*.host` or either with `:port`. Hosts are compared in lower case, as
    /// URLs serialise them.
    pub fn parse(s: &str) -> Result<TargetPattern, String> {
        let s = s.trim();
        if s.contains("://") || s.contains('/') {
            return Err(format!("`{s}` is a URL; write a host name such as api.example.com"));
        }
        if s.starts_with('[') {
            return Err(format!("`{s}` is an address; the open proxy takes host names"));
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            Some(_) => return Err(format!("`{s}` is an address; the open proxy takes host names")),
            None => (s, None),
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().map_err(|_| format!("`{p}` is not a port in `{s}`"))?),
            None => None,
        };
        let (host, subdomains) = match host.strip_prefix("*.") {
            Some(rest) => (rest, true),
            None => (host, false),
        };
        if host.is_empty() || host.contains('*') {
            return Err(format!("`{s}`: `*` may only start a pattern, as in *.example.com"));
        }
        let valid = host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b));
        if !valid {
            return Err(format!("`{s}` is not a host name (non-ASCII names go in their xn-- form)"));
        }
        Ok(TargetPattern { host: host.to_ascii_lowercase(), subdomains, port })
    }

    /// Whether `host` (lower case, as in a parsed URL) and `port` match.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        if self.subdomains {
            host.len() > self.host.len() + 1
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        }
    }
}

impl std::fmt::Display for TargetPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.subdomains {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}
