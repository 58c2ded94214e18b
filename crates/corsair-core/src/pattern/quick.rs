//! The usual wildcard patterns matched on a request's bytes, without parsing the origin.
//!
//! A request from `https://pr-7.staging.example.com` under `https://*.example.com` is the common
//! case of a pattern, and parsing the origin as a browser serialises it (scheme, each label, the
//! port) then looking up each parent domain costs several hundred instructions. For the two
//! usual shapes a match can be proven from the bytes alone:
//!
//! - `scheme://*.parent` (default port): the value is `scheme://`, labels, `.parent`, where the
//!   labels are non-empty runs of `a-z 0-9 - _` joined by single dots, at most 63 bytes in all;
//! - `scheme://host:*` or `scheme://host:port`: the value is `scheme://host`, then nothing or
//!   `:` and a port written as browsers write it (no leading zero, not the scheme's default).
//!
//! Such bytes are a canonical origin that the general path ([`OriginRef::parse`], then
//! [`OriginSet::matches_wildcards`](super::OriginSet::matches_wildcards)) matches by the same
//! pattern: so a proven match is a match, and anything else (another shape, longer labels, an
//! uncommon port) is left to the general path, which decides it. A pattern is given a quick form
//! only if a sample origin built from it parses and matches, and the parent's last label is not
//! all digits (so the host is never read as an IPv4 address). The property tests in
//! `pattern/tests.rs` and the `origin_quick` fuzz target hold the quick answer to the general one.

use super::{HostPattern, OriginPattern, PortPattern};
use crate::origin::{default_port, is_label_byte, parse_port_strict, OriginRef, MAX_ORIGIN_LEN};

/// Most quick forms a set keeps; patterns past them take the general path alone.
pub(super) const MAX_QUICK: usize = 4;

/// One wildcard pattern in its quick form.
#[derive(Clone, Debug)]
pub(super) struct Quick {
    /// `scheme://` for subdomains; `scheme://host` for ports.
    head: Box<[u8]>,
    rule: Rule,
}

#[derive(Clone, Debug)]
enum Rule {
    /// The value ends with `.parent` (this, dot included), labels between.
    Subdomains { tail: Box<[u8]> },
    /// Nothing, or `:port` allowed by `port` (never the scheme's default).
    Ports { port: PortPattern, default: Option<u16> },
}

impl Quick {
    /// The quick form of `pattern`, if it has one.
    pub(super) fn of(pattern: &OriginPattern) -> Option<Quick> {
        let OriginPattern::Wildcard { scheme, host, port } = pattern else {
            return None;
        };
        let (quick, sample) = match (host, port) {
            (HostPattern::SubdomainsOf(parent), PortPattern::Default) => {
                let last_label = parent.rsplit('.').next().unwrap_or_default();
                if last_label.is_empty() || last_label.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let head = format!("{scheme}://").into_bytes().into_boxed_slice();
                let tail = format!(".{parent}").into_bytes().into_boxed_slice();
                (Quick { head, rule: Rule::Subdomains { tail } }, format!("{scheme}://a.{parent}"))
            }
            (HostPattern::Exact(host), PortPattern::Any | PortPattern::Exact(_)) => {
                let head = format!("{scheme}://{host}").into_bytes().into_boxed_slice();
                let sample = format!("{scheme}://{host}");
                (Quick { head, rule: Rule::Ports { port: *port, default: default_port(scheme) } }, sample)
            }
            _ => return None,
        };
        // The sample must be an origin the general parser reads with this scheme and host.
        let parsed = OriginRef::parse(sample.as_bytes())?;
        let host_ok = match host {
            HostPattern::SubdomainsOf(parent) => parsed.host().strip_prefix("a.") == Some(&**parent),
            HostPattern::Exact(h) => parsed.host() == &**h && parsed.port().is_none(),
        };
        (parsed.scheme() == &**scheme && host_ok).then_some(quick)
    }

    /// True if `bytes` is proven to be an origin this pattern matches; false proves nothing.
    pub(super) fn matches(&self, bytes: &[u8]) -> bool {
        if bytes.len() > MAX_ORIGIN_LEN {
            return false;
        }
        let Some(rest) = strip_prefix(bytes, &self.head) else {
            return false;
        };
        match &self.rule {
            Rule::Subdomains { tail } => {
                let Some(labels) = strip_suffix(rest, tail) else {
                    return false;
                };
                // A host is at most 253 bytes; labels of at most 63 in all are each short enough.
                rest.len() <= 253 && !labels.is_empty() && labels.len() <= 63 && are_labels(labels)
            }
            Rule::Ports { port, default } => match rest {
                [] => matches!(port, PortPattern::Any),
                [b':', digits @ ..] => match parse_port_strict(digits) {
                    Some(p) if Some(p) != *default => match port {
                        PortPattern::Any => true,
                        PortPattern::Exact(want) => p == *want,
                        PortPattern::Default => false,
                    },
                    _ => false,
                },
                _ => false,
            },
        }
    }
}

/// `bytes` after `head`, if it starts with it.
#[inline(always)]
fn strip_prefix<'b>(bytes: &'b [u8], head: &[u8]) -> Option<&'b [u8]> {
    let (start, rest) = bytes.split_at_checked(head.len())?;
    same(start, head).then_some(rest)
}

/// `bytes` before `tail`, if it ends with it.
#[inline(always)]
fn strip_suffix<'b>(bytes: &'b [u8], tail: &[u8]) -> Option<&'b [u8]> {
    let (rest, end) = bytes.split_at_checked(bytes.len().checked_sub(tail.len())?)?;
    same(end, tail).then_some(rest)
}

/// `a == b` for slices of one length: from 8 to 16 bytes (`https://`, `.example.com`) by two
/// overlapping word compares rather than a call into `memcmp`.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    match (a.first_chunk::<8>(), b.first_chunk::<8>(), a.last_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(a0), Some(b0), Some(a1), Some(b1)) if n <= 16 => a0 == b0 && a1 == b1,
        _ => a == b,
    }
}

/// Non-empty labels of `a-z 0-9 - _`, joined by single dots. (A branch-free form of this loop
/// ran more instructions and no faster.)
fn are_labels(bytes: &[u8]) -> bool {
    let mut after_dot = true; // a leading dot would be an empty label
    for &b in bytes {
        let dot = b == b'.';
        if dot {
            if after_dot {
                return false;
            }
        } else if !is_label_byte(b) {
            return false;
        }
        after_dot = dot;
    }
    !after_dot
}
