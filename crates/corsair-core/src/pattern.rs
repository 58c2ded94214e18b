//! Origin patterns, and the set that matches a request's origin against many of them.
//!
//! Four forms and nothing else, because every other form in the wild (unanchored regular
//! expressions, globs with a `*` anywhere) has let attackers in (see `SECURITY.md`):
//!
//! | pattern | matches |
//! |---|---|
//! | `https://app.example.com` | that origin exactly |
//! | `https://*.example.com` | one or more labels under `example.com`, never `example.com` itself |
//! | `http://localhost:*` | any port, or none, on that scheme and host |
//! | `*` | any origin |
//!
//! The two wildcards combine (`https://*.example.com:*`). Matching costs a hash look-up per
//! label of the request's host, whatever the number of patterns.
//!
//! ```
//! use corsair_core::{OriginPattern, OriginSet, OriginRef};
//!
//! let set: OriginSet = ["https://*.example.com", "http://localhost:*"]
//!     .iter()
//!     .map(|p| OriginPattern::parse(p).unwrap())
//!     .collect();
//! let yes = OriginRef::parse(b"https://a.b.example.com").unwrap();
//! let apex = OriginRef::parse(b"https://example.com").unwrap();
//! let dev = OriginRef::parse(b"http://localhost:5173").unwrap();
//! assert!(set.matches(yes).is_some() && set.matches(dev).is_some());
//! assert!(set.matches(apex).is_none());
//! ```

use std::collections::HashMap as StdHashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use crate::origin::{escape, is_loopback_host, Origin, OriginError, OriginRef};

mod quick;
use quick::{Quick, MAX_QUICK};

/// One allowed-origin rule from a policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OriginPattern {
    /// `*`: every origin.
    Any,
    /// One origin, compared by its serialisation (may be `null`).
    Exact(Origin),
    /// A scheme with a host rule and a port rule.
    Wildcard {
        /// Lower-case scheme.
        scheme: Box<str>,
        /// Which hosts.
        host: HostPattern,
        /// Which ports.
        port: PortPattern,
    },
}

/// The host part of a wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// This host only.
    Exact(Box<str>),
    /// Strict subdomains of this domain (one or more labels), never the domain itself.
    SubdomainsOf(Box<str>),
}

/// The port part of a wildcard pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortPattern {
    /// The scheme's default port (no port in the serialisation).
    Default,
    /// This explicit port.
    Exact(u16),
    /// Any port, including the default.
    Any,
}

impl PortPattern {
    fn matches(self, port: Option<u16>) -> bool {
        match self {
            PortPattern::Default => port.is_none(),
            PortPattern::Exact(p) => port == Some(p),
            PortPattern::Any => true,
        }
    }
}

/// Why text is not an origin pattern; the `Display` text says what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// The origin part is not a canonical origin.
    Origin(OriginError),
    /// A `*` where patterns do not allow one.
    MisplacedWildcard {
        /// The text as given.
        value: String,
        /// What to write instead.
        hint: String,
    },
    /// `*.` in front of an IP address, which has no subdomains.
    SubdomainOfAddress {
        /// The text as given.
        value: String,
    },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Origin(e) => e.fmt(f),
            PatternError::MisplacedWildcard { value, hint } => write!(
                f,
                "`{}` is not a supported pattern: `*` may only stand for the whole origin (`*`), for leading labels (`https://*.example.com`) or for the port (`http://localhost:*`); {hint}",
                escape(value)
            ),
            PatternError::SubdomainOfAddress { value } => {
                write!(f, "`{}`: an IP address has no subdomains; list the address itself", escape(value))
            }
        }
    }
}

impl std::error::Error for PatternError {}

impl From<OriginError> for PatternError {
    fn from(e: OriginError) -> Self {
        PatternError::Origin(e)
    }
}

impl OriginPattern {
    /// Parses one pattern as written in a policy; non-canonical spellings are errors.
    pub fn parse(text: &str) -> Result<OriginPattern, PatternError> {
        if text == "*" {
            return Ok(OriginPattern::Any);
        }
        if !text.contains('*') {
            return Ok(OriginPattern::Exact(Origin::parse_configured(text)?));
        }
        let misplaced = |hint: String| PatternError::MisplacedWildcard { value: text.to_owned(), hint };
        let Some(sep) = text.find("://") else {
            let with_scheme = format!("https://{text}");
            let hint = match OriginPattern::parse(&with_scheme) {
                Ok(_) => format!("did you mean `{with_scheme}`?"),
                Err(_) => subdomains_hint("https", text),
            };
            return Err(misplaced(hint));
        };
        let scheme = &text[..sep];
        let mut rest = &text[sep + 3..];
        let subdomains = match rest.strip_prefix("*.") {
            Some(r) => {
                rest = r;
                true
            }
            None => false,
        };
        let any_port = match rest.strip_suffix(":*") {
            Some(r) => {
                rest = r;
                true
            }
            None => false,
        };
        if scheme.contains('*') {
            return Err(misplaced(LIST_EACH.to_owned()));
        }
        if rest.starts_with('*') || rest.is_empty() {
            return Err(misplaced(subdomains_hint(scheme, rest)));
        }
        if rest.contains('*') {
            return Err(misplaced(LIST_EACH.to_owned()));
        }
        // Validate the remainder as an origin, then map its canonical form back to a pattern.
        let probe_text = format!("{scheme}://{rest}");
        match Origin::parse_configured(&probe_text) {
            Ok(probe) => wildcard(text, &probe, subdomains, any_port),
            Err(OriginError::NotCanonical { reason, canonical, .. }) => {
                // Propose the canonical pattern only if it is one; else report what is wrong with it.
                if let Ok(canonical_probe) = Origin::parse_configured(&canonical) {
                    wildcard(text, &canonical_probe, subdomains, any_port)?;
                }
                Err(PatternError::Origin(OriginError::NotCanonical {
                    value: text.to_owned(),
                    canonical: rebuild(&canonical, subdomains, any_port),
                    reason,
                }))
            }
            Err(other) => Err(PatternError::Origin(other)),
        }
    }

    /// True if a request's origin is allowed by this pattern.
    pub fn matches(&self, origin: OriginRef<'_>) -> bool {
        match self {
            OriginPattern::Any => true,
            OriginPattern::Exact(o) => o.as_str() == origin.as_str(),
            OriginPattern::Wildcard { scheme, host, port } => {
                !origin.is_null()
                    && **scheme == *origin.scheme()
                    && port.matches(origin.port())
                    && host.matches(origin.host())
            }
        }
    }

    /// The scheme this pattern is limited to; `None` for `*`.
    pub fn scheme(&self) -> Option<&str> {
        match self {
            OriginPattern::Any => None,
            OriginPattern::Exact(o) => Some(o.scheme()),
            OriginPattern::Wildcard { scheme, .. } => Some(scheme),
        }
    }

    /// True if every host this pattern matches is this machine (loopback names and addresses).
    pub fn is_loopback(&self) -> bool {
        match self {
            OriginPattern::Any => false,
            OriginPattern::Exact(o) => !o.is_null() && o.is_loopback(),
            OriginPattern::Wildcard { host: HostPattern::Exact(h), .. } => is_loopback_host(h),
            OriginPattern::Wildcard { host: HostPattern::SubdomainsOf(h), .. } => {
                let h = h.trim_end_matches('.');
                h == "localhost" || h.ends_with(".localhost")
            }
        }
    }

    /// For `scheme://*.parent` where `parent` is a public suffix (`com`, `github.io`): that parent.
    ///
    /// Such a pattern admits sites owned by unrelated parties, which is fatal with credentials.
    pub fn public_suffix_parent(&self) -> Option<&str> {
        match self {
            OriginPattern::Wildcard { host: HostPattern::SubdomainsOf(parent), .. } => {
                let name = parent.trim_end_matches('.');
                if name == "localhost" || name.ends_with(".localhost") {
                    return None;
                }
                let suffix = psl::suffix_str(name)?;
                (suffix.len() == name.len()).then_some(parent)
            }
            _ => None,
        }
    }

    /// True for `null` (which only opaque pages, file pages and tainted redirects send).
    pub fn is_null(&self) -> bool {
        matches!(self, OriginPattern::Exact(o) if o.is_null())
    }
}

impl HostPattern {
    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => **h == *host,
            HostPattern::SubdomainsOf(parent) => {
                host.len() > parent.len() + 1
                    && host.ends_with(&**parent)
                    && host.as_bytes()[host.len() - parent.len() - 1] == b'.'
            }
        }
    }
}

/// The wildcard pattern `text` stands for, given its origin part (`probe`, canonical).
fn wildcard(text: &str, probe: &Origin, subdomains: bool, any_port: bool) -> Result<OriginPattern, PatternError> {
    if any_port && probe.port().is_some() {
        return Err(PatternError::MisplacedWildcard {
            value: text.to_owned(),
            hint: "give either a port or `:*`, not both".to_owned(),
        });
    }
    let host: Box<str> = probe.host().into();
    if subdomains && !matches!(probe.host_kind(), Some(crate::origin::HostKind::Domain)) {
        return Err(PatternError::SubdomainOfAddress { value: text.to_owned() });
    }
    Ok(OriginPattern::Wildcard {
        scheme: probe.scheme().into(),
        host: if subdomains { HostPattern::SubdomainsOf(host) } else { HostPattern::Exact(host) },
        port: if any_port { PortPattern::Any } else { probe.port().map_or(PortPattern::Default, PortPattern::Exact) },
    })
}

const LIST_EACH: &str = "list each origin instead";

/// The hint for a `*` glued to the front of a host (`*example.com`, `**.x`, `https://*`): the
/// leading-labels pattern, when that is a valid pattern; otherwise what else to write.
fn subdomains_hint(scheme: &str, host: &str) -> String {
    let parent = host.trim_start_matches(['*', '.', '-']);
    if parent.is_empty() || parent.starts_with(':') {
        return format!("write `*` for any origin, or `{scheme}://*.example.com` for the subdomains of one domain");
    }
    let suggestion = format!("{scheme}://*.{parent}");
    // A star-free parent cannot lead back here, so this recursion ends.
    if !parent.contains('*') && OriginPattern::parse(&suggestion).is_ok() {
        format!("for subdomains write `{suggestion}`")
    } else {
        LIST_EACH.to_owned()
    }
}

fn rebuild(canonical_origin: &str, subdomains: bool, any_port: bool) -> String {
    let mut s = canonical_origin.to_owned();
    if subdomains {
        if let Some(i) = s.find("://") {
            s.insert_str(i + 3, "*.");
        }
    }
    if any_port {
        s.push_str(":*");
    }
    s
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginPattern::Any => f.write_str("*"),
            OriginPattern::Exact(o) => o.fmt(f),
            OriginPattern::Wildcard { scheme, host, port } => {
                write!(f, "{scheme}://")?;
                match host {
                    HostPattern::Exact(h) => f.write_str(h)?,
                    HostPattern::SubdomainsOf(h) => write!(f, "*.{h}")?,
                }
                match port {
                    PortPattern::Default => Ok(()),
                    PortPattern::Exact(p) => write!(f, ":{p}"),
                    PortPattern::Any => f.write_str(":*"),
                }
            }
        }
    }
}

impl std::str::FromStr for OriginPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OriginPattern::parse(s)
    }
}

/// The origin tables' maps: keyed by configured names, looked up with the request's.
type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<TableHasher>>;

/// A fast hasher with a fixed key for the origin tables (8 bytes per step instead of SipHash's
/// rounds; a look-up runs on every CORS request).
///
/// A fixed key is safe here because only configured names are ever inserted. A request chooses
/// what it looks up, not what the table holds: it cannot grow collision chains, and each
/// look-up probes a bounded group of slots whatever the key.
#[derive(Clone, Copy, Default)]
pub(crate) struct TableHasher(u64);

impl TableHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = self.0.wrapping_add(word).wrapping_mul(Self::K);
    }
}

impl Hasher for TableHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        // The multiplies mix upwards only; MurmurHash3's finaliser spreads every bit to the low
        // bits (hashbrown's bucket) and the top ones (its tag).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// How a request's origin matched an [`OriginSet`].
#[derive(Debug, PartialEq, Eq)]
pub enum OriginMatch<'s, T> {
    /// An exactly listed origin, with the value stored for it.
    Exact(&'s T),
    /// A wildcard pattern (subdomains or any port).
    Pattern,
    /// The `*` pattern.
    Any,
}

/// A compiled set of patterns: exact origins in one hash map, wildcard hosts in per-scheme
/// tables. Look-up cost depends on the request's host, never on how many patterns there are.
///
/// `T` is a value stored with each exact origin (the policy keeps a ready
/// `Access-Control-Allow-Origin` header value there).
#[derive(Clone, Debug)]
pub struct OriginSet<T = ()> {
    any: bool,
    /// Canonical serialisations, as bytes so a request's header value is looked up as it is.
    exact: HashMap<Box<[u8]>, T>,
    /// One table per scheme named by a wildcard pattern. A policy names a handful of schemes
    /// (`https`, `http`, an app's own), so a scan of a few short strings beats hashing one.
    by_scheme: Vec<(Box<str>, SchemeTable)>,
    /// The first few wildcard patterns of the usual shapes, matched on bytes (`quick.rs`).
    quick: Vec<Quick>,
    patterns: Vec<OriginPattern>,
}

#[derive(Clone, Debug, Default)]
struct SchemeTable {
    hosts: HashMap<Box<str>, Vec<PortPattern>>,
    parents: HashMap<Box<str>, Vec<PortPattern>>,
    // Length bounds of the parents, to skip suffixes that cannot be in the table.
    shortest_parent: usize,
    longest_parent: usize,
}

impl<T> Default for OriginSet<T> {
    fn default() -> Self {
        OriginSet {
            any: false,
            exact: HashMap::default(),
            by_scheme: Vec::new(),
            quick: Vec::new(),
            patterns: Vec::new(),
        }
    }
}

impl<T> OriginSet<T> {
    /// An empty set, which matches nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pattern; `value` is kept for exact origins and dropped for wildcards.
    pub fn insert(&mut self, pattern: OriginPattern, value: T) {
        match &pattern {
            OriginPattern::Any => self.any = true,
            OriginPattern::Exact(o) => {
                // Kept only if a request can carry it: `exact` then holds nothing but canonical
                // serialisations, which is what lets `get_exact` skip parsing.
                if OriginRef::parse(o.as_str().as_bytes()).is_some() {
                    self.exact.insert(o.as_str().as_bytes().into(), value);
                }
            }
            OriginPattern::Wildcard { scheme, host, port } => {
                if self.quick.len() < MAX_QUICK {
                    self.quick.extend(Quick::of(&pattern));
                }
                let at = match self.by_scheme.iter().position(|(s, _)| s == scheme) {
                    Some(at) => at,
                    None => {
                        self.by_scheme.push((scheme.clone(), SchemeTable::default()));
                        self.by_scheme.len() - 1
                    }
                };
                let table = &mut self.by_scheme[at].1;
                match host {
                    HostPattern::Exact(h) => table.hosts.entry(h.clone()).or_default().push(*port),
                    HostPattern::SubdomainsOf(p) => {
                        table.shortest_parent =
                            if table.parents.is_empty() { p.len() } else { table.shortest_parent.min(p.len()) };
                        table.longest_parent = table.longest_parent.max(p.len());
                        table.parents.entry(p.clone()).or_default().push(*port)
                    }
                }
            }
        }
        self.patterns.push(pattern);
    }

    /// Finds how `origin` is allowed, if it is. Exact entries win over patterns, which win over `*`.
    pub fn matches(&self, origin: OriginRef<'_>) -> Option<OriginMatch<'_, T>> {
        if let Some(v) = self.get_exact(origin.as_str().as_bytes()) {
            return Some(OriginMatch::Exact(v));
        }
        self.matches_wildcards(origin)
    }

    /// The value of the exactly listed origin whose serialisation is `bytes`, if there is one.
    ///
    /// Only origins as browsers serialise them are stored, so a hit proves `bytes` is a valid
    /// origin: a server can look up a request's `Origin` bytes before (and, on a hit, instead of)
    /// parsing them, which is the usual case of an allowed request.
    pub fn get_exact(&self, bytes: &[u8]) -> Option<&T> {
        if self.exact.is_empty() {
            return None;
        }
        self.exact.get(bytes)
    }

    /// True if `bytes` is a canonical origin that a wildcard pattern of the usual shapes
    /// (`https://*.example.com`, `http://localhost:*`) matches, proven from the bytes without
    /// parsing them; false proves nothing (parse, then [`OriginSet::matches_wildcards`]).
    ///
    /// Where it says true, [`OriginSet::matches_wildcards`] on the parsed bytes says
    /// [`OriginMatch::Pattern`]: a server can answer a pattern's usual request at the cost of a
    /// few compares and one pass over the leading labels.
    pub fn matches_pattern_bytes(&self, bytes: &[u8]) -> bool {
        self.quick.iter().any(|q| q.matches(bytes))
    }

    /// [`OriginSet::matches`] without the exact origins: the wildcard patterns, then `*`.
    pub fn matches_wildcards(&self, origin: OriginRef<'_>) -> Option<OriginMatch<'_, T>> {
        if !origin.is_null() {
            let scheme = origin.scheme();
            if let Some((_, table)) = self.by_scheme.iter().find(|(s, _)| **s == *scheme) {
                if table.matches(origin.host(), origin.port()) {
                    return Some(OriginMatch::Pattern);
                }
            }
        }
        self.any.then_some(OriginMatch::Any)
    }

    /// True if the set holds `*`.
    pub fn contains_any(&self) -> bool {
        self.any
    }

    /// The patterns in insertion order.
    pub fn patterns(&self) -> &[OriginPattern] {
        &self.patterns
    }

    /// True if nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

impl SchemeTable {
    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        let ports_match = |ports: &Vec<PortPattern>| ports.iter().any(|p| p.matches(port));
        if !self.hosts.is_empty() && self.hosts.get(host).is_some_and(ports_match) {
            return true;
        }
        if self.parents.is_empty() {
            return false;
        }
        // Try each proper suffix that starts after a dot (`a.b.example.com` -> `b.example.com`,
        // ...), among those as long as a parent: the dot after byte `i` leaves `len - i - 1`.
        let bytes = host.as_bytes();
        let Some(last) = bytes.len().checked_sub(self.shortest_parent + 1) else {
            return false;
        };
        let first = bytes.len().saturating_sub(self.longest_parent + 1).max(1);
        (first..=last).any(|i| bytes[i] == b'.' && self.parents.get(&host[i + 1..]).is_some_and(ports_match))
    }
}

impl<T: Default> FromIterator<OriginPattern> for OriginSet<T> {
    fn from_iter<I: IntoIterator<Item = OriginPattern>>(iter: I) -> Self {
        let mut set = OriginSet::new();
        for p in iter {
            set.insert(p, T::default());
        }
        set
    }
}

#[cfg(test)]
mod tests;
