//! Values of the file, flags and environment to settings: each mistake recorded where it was
//! written (file, line and column, or the flag or variable), with what to write instead, and
//! reading goes on so every error comes at once.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use corsair_core::address::ResolveRule;
use corsair_core::policy_file::Given;
use corsair_core::{ConfigError, ConfigErrors, Location};
use http::uri::Scheme;
use http::Uri;
use toml::Spanned;

use super::table::StoreTable;
use super::{RedisSettings, Source, StoreSettings, TargetPattern, Upstream};
use crate::ratelimit::{Quota, RedisUrl, WhenStoreFails, DEFAULT_KEY_PREFIX, DEFAULT_TIMEOUT};

/// Where a setting's value came from, for its error.
pub(super) enum At {
    /// The file, at this span.
    Span(Range<usize>),
    /// A flag or variable: `flag --listen`, `environment variable CORSAIR_LISTEN`.
    Given(String),
}

/// Collects errors with their locations while the settings are read.
pub(super) struct Reader<'a> {
    pub(super) source: &'a Source,
    pub(super) errors: ConfigErrors,
}

impl Reader<'_> {
    pub(super) fn error(&mut self, key: &str, span: Option<Range<usize>>, message: String) {
        let location = match span {
            Some(s) => Location::in_text(&self.source.name, &self.source.text, s.start),
            None if key.starts_with("--") => Location { source: "command line".into(), line: 0, column: 0 },
            None => Location { source: self.source.name.clone(), line: 0, column: 0 },
        };
        self.errors.push_at(ConfigError::Setting { key: key.into(), message }, Some(location));
    }

    pub(super) fn error_at(&mut self, key: &str, at: At, message: String) {
        match at {
            At::Span(s) => self.error(key, Some(s), message),
            At::Given(source) => self.errors.push_at(
                ConfigError::Setting { key: key.into(), message },
                Some(Location { source, line: 0, column: 0 }),
            ),
        }
    }

    pub(super) fn socket_addr(&mut self, key: &str, text: &str, at: At) -> Option<SocketAddr> {
        let parsed = text.parse::<SocketAddr>().ok().or_else(|| {
            // `localhost:8787` is what people write; it means loopback, and we never resolve it.
            let port = text.strip_prefix("localhost:")?.parse::<u16>().ok()?;
            Some(SocketAddr::from(([127, 0, 0, 1], port)))
        });
        if parsed.is_none() {
            self.error_at(key, at, format!("`{text}` is not an address to listen on; write 127.0.0.1:8787 or [::1]:8787 (0.0.0.0:8787 for every interface)"));
        }
        parsed
    }

    pub(super) fn upstream(&mut self, key: &str, text: &str, at: At) -> Option<Upstream> {
        match parse_upstream(text) {
            Ok(u) => Some(u),
            Err(message) => {
                self.error_at(key, at, message);
                None
            }
        }
    }

    pub(super) fn target(&mut self, text: &str, span: Option<Range<usize>>) -> Option<TargetPattern> {
        let key = if span.is_some() { "proxy.allow_targets" } else { "--allow-target" };
        TargetPattern::parse(text).map_err(|m| self.error(key, span, m)).ok()
    }

    pub(super) fn quota(&mut self, key: &str, v: &Spanned<String>) -> Option<Quota> {
        v.get_ref().parse::<Quota>().map_err(|e| self.error(key, Some(v.span()), e.to_string())).ok()
    }

    /// Reads `[proxy.rate_limit_store]`: every mistake at once, each at its key.
    pub(super) fn store(&mut self, t: &StoreTable) -> StoreSettings {
        const KEY: &str = "proxy.rate_limit_store";
        let redis = match &t.kind {
            None => false,
            Some(k) => match k.get_ref().as_str() {
                "memory" => false,
                "redis" => true,
                other => {
                    self.error(
                        &format!("{KEY}.kind"),
                        Some(k.span()),
                        format!("`{other}` is not a store; write \"memory\" (this process) or \"redis\" (shared)"),
                    );
                    return StoreSettings::Memory;
                }
            },
        };
        if !redis {
            let redis_only = [
                ("url", t.url.as_ref().map(Spanned::span)),
                ("key_prefix", t.key_prefix.as_ref().map(Spanned::span)),
                ("timeout_ms", t.timeout_ms.as_ref().map(Spanned::span)),
                ("on_failure", t.on_failure.as_ref().map(Spanned::span)),
            ];
            for (name, span) in redis_only {
                if let Some(span) = span {
                    self.error(
                        &format!("{KEY}.{name}"),
                        Some(span),
                        "applies to the Redis store only; remove it, or set kind = \"redis\"".into(),
                    );
                }
            }
            return StoreSettings::Memory;
        }
        let url = match &t.url {
            Some(u) => {
                u.get_ref().parse::<RedisUrl>().map_err(|m| self.error(&format!("{KEY}.url"), Some(u.span()), m)).ok()
            }
            None => {
                let span = t.kind.as_ref().map(Spanned::span);
                self.error(
                    &format!("{KEY}.url"),
                    span,
                    "the Redis store needs an address: write url = \"redis://127.0.0.1:6379/0\"".into(),
                );
                None
            }
        };
        let key_prefix = match &t.key_prefix {
            None => Some(DEFAULT_KEY_PREFIX.to_owned()),
            Some(p) => {
                let text = p.get_ref();
                let printable = text.bytes().all(|b| b.is_ascii_graphic() && !b"{}".contains(&b));
                if text.is_empty() || text.len() > 100 || !printable {
                    self.error(
                        &format!("{KEY}.key_prefix"),
                        Some(p.span()),
                        "write 1 to 100 printable ASCII characters without spaces or braces, e.g. \"corsair:rl:\""
                            .into(),
                    );
                    None
                } else {
                    Some(text.clone())
                }
            }
        };
        let timeout = match &t.timeout_ms {
            None => Some(DEFAULT_TIMEOUT),
            Some(v) => self.ranged(&format!("{KEY}.timeout_ms"), v, 1, 10_000).map(Duration::from_millis),
        };
        let on_failure = match &t.on_failure {
            None => Some(WhenStoreFails::Admit),
            Some(v) => match v.get_ref().as_str() {
                "admit" => Some(WhenStoreFails::Admit),
                "refuse" => Some(WhenStoreFails::Refuse),
                other => {
                    self.error(
                        &format!("{KEY}.on_failure"),
                        Some(v.span()),
                        format!("`{other}` is unknown; write \"admit\" (serve unlimited while Redis fails) or \"refuse\" (answer 429)"),
                    );
                    None
                }
            },
        };
        match (url, key_prefix, timeout, on_failure) {
            (Some(url), Some(key_prefix), Some(timeout), Some(on_failure)) => {
                StoreSettings::Redis(RedisSettings { url, key_prefix, timeout, on_failure })
            }
            // Each `None` recorded its error.
            _ => StoreSettings::Memory,
        }
    }

    pub(super) fn ranged(&mut self, key: &str, v: &Spanned<i64>, min: i64, max: i64) -> Option<u64> {
        let n = *v.get_ref();
        if (min..=max).contains(&n) {
            Some(n as u64)
        } else {
            self.error(key, Some(v.span()), format!("{n} is out of range; write a number from {min} to {max}"));
            None
        }
    }
}

/// Reads an upstream base URL: `http(s)://host[:port][/base]`, nothing else.
pub fn parse_upstream(text: &str) -> Result<Upstream, String> {
    let uri: Uri = text.parse().map_err(|_| format!("`{text}` is not a URL; write e.g. http://localhost:8080"))?;
    let scheme = match uri.scheme_str() {
        Some("http") => Scheme::HTTP,
        Some("https") => Scheme::HTTPS,
        Some(other) => return Err(format!("`{other}` upstreams are not proxied; write an http:// or https:// URL")),
        None => return Err(format!("`{text}` has no scheme; write http://{text}")),
    };
    let authority = uri.authority().cloned().ok_or_else(|| format!("`{text}` has no host"))?;
    if authority.as_str().contains('@') {
        return Err(format!("`{text}` holds credentials; the proxy does not put passwords in URLs"));
    }
    if uri.query().is_some() {
        return Err(format!("`{text}` has a query; an upstream is a base URL such as http://localhost:8080/v1"));
    }
    let base_path = uri.path().trim_end_matches('/').to_owned();
    Ok(Upstream { scheme, authority, base_path })
}

/// One `--resolve` entry: the rule every command reads (`HOST:PORT:ADDR`, `*` for any port),
/// or the proxy's older `HOST:ADDR` with an IPv4 address, which means any port.
pub(super) fn parse_resolve(entry: &str) -> Result<ResolveRule, String> {
    if let Some((host, addr)) = entry.split_once(':').filter(|(_, a)| !a.contains(':')) {
        if let Ok(addr) = addr.parse::<std::net::Ipv4Addr>() {
            return format!("{host}:*:{addr}").parse();
        }
    }
    entry.parse()
}

impl<T> From<Given<T>> for At {
    fn from(given: Given<T>) -> At {
        At::Given(given.source)
    }
}
