//! `Vary`: which request headers a response depends on, merged without loss or duplicates.
//!
//! A cache that stores a response made for one origin must not serve it to another, so every
//! response whose CORS headers depend on `Origin` says `Vary: Origin`, even when the request had
//! no `Origin` or was refused. Merging appends: names another layer set stay, `*` stays alone,
//! and no name appears twice.
//!
//! ```
//! use corsair_core::Vary;
//! use http::{HeaderMap, HeaderValue};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("vary", HeaderValue::from_static("accept-encoding, origin"));
//! Vary::ORIGIN.union(Vary::REQUEST_METHOD).merge_into(&mut headers);
//! let all: Vec<_> = headers.get_all("vary").iter().map(|v| v.to_str().unwrap()).collect();
//! assert_eq!(all, ["accept-encoding, origin", "access-control-request-method"]);
//! ```

use http::header::{Entry, HeaderMap, HeaderValue, VARY};

/// A set of the request headers CORS answers can depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Vary(u8);

const NAMES: [&str; 4] = [
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
];

impl Vary {
    /// No names.
    pub const NONE: Vary = Vary(0);
    /// `Origin`.
    pub const ORIGIN: Vary = Vary(1);
    /// `Access-Control-Request-Method`.
    pub const REQUEST_METHOD: Vary = Vary(2);
    /// `Access-Control-Request-Headers`.
    pub const REQUEST_HEADERS: Vary = Vary(4);
    /// `Access-Control-Request-Private-Network`.
    pub const REQUEST_PRIVATE_NETWORK: Vary = Vary(8);

    /// Both sets.
    pub const fn union(self, other: Vary) -> Vary {
        Vary(self.0 | other.0)
    }

    /// True if every name of `other` is in `self`.
    pub const fn contains(self, other: Vary) -> bool {
        self.0 & other.0 == other.0
    }

    /// True for the empty set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lower-case header names in the set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES.iter().enumerate().filter(move |(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| *n)
    }

    /// Adds the names not already present to `headers`' `Vary`, as one extra line; leaves a
    /// `Vary: *` alone. Allocates nothing when all names are there or the value is a common one.
    pub fn merge_into(self, headers: &mut HeaderMap) {
        if self.is_empty() {
            return;
        }
        // One look-up of `Vary`, whether or not the response has one.
        let mut lines = match headers.entry(VARY) {
            Entry::Vacant(vacant) => {
                vacant.insert(self.value());
                return;
            }
            Entry::Occupied(lines) => lines,
        };
        let missing = self.missing_from(lines.iter().map(HeaderValue::as_bytes));
        if !missing.is_empty() {
            lines.append(missing.value());
        }
    }

    /// The names of `self` that the `Vary` lines `lines` do not list yet: what
    /// [`Vary::merge_into`] appends. Empty when a line says `*` (which covers everything). For
    /// shells that write header lines as bytes rather than keep a [`HeaderMap`].
    pub fn missing_from<'a>(self, lines: impl IntoIterator<Item = &'a [u8]>) -> Vary {
        let mut missing = self;
        for line in lines {
            for item in line.split(|&b| b == b',') {
                let item = crate::token::trim_ows(item);
                if item == b"*" {
                    return Vary::NONE;
                }
                for (i, name) in NAMES.iter().enumerate() {
                    if item.eq_ignore_ascii_case(name.as_bytes()) {
                        missing.0 &= !(1 << i);
                    }
                }
            }
        }
        missing
    }

    /// The set as one header value (`origin, access-control-request-method`, ...).
    pub fn value(self) -> HeaderValue {
        // Cloning a static value copies a pointer; `HeaderValue::from_static` at run time would
        // check every byte again.
        PRECOMPUTED[usize::from(self.0 & 15)].clone()
    }
}

/// Every combination, written out and checked at compile time, so merging never formats or
/// validates at request time.
static PRECOMPUTED: [HeaderValue; 16] = [
    HeaderValue::from_static(""),
    HeaderValue::from_static("origin"),
    HeaderValue::from_static("access-control-request-method"),
    HeaderValue::from_static("origin, access-control-request-method"),
    HeaderValue::from_static("access-control-request-headers"),
    HeaderValue::from_static("origin, access-control-request-headers"),
    HeaderValue::from_static("access-control-request-method, access-control-request-headers"),
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-headers"),
    HeaderValue::from_static("access-control-request-private-network"),
    HeaderValue::from_static("origin, access-control-request-private-network"),
    HeaderValue::from_static("access-control-request-method, access-control-request-private-network"),
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-private-network"),
    HeaderValue::from_static("access-control-request-headers, access-control-request-private-network"),
    HeaderValue::from_static("origin, access-control-request-headers, access-control-request-private-network"),
    HeaderValue::from_static(
        "access-control-request-method, access-control-request-headers, access-control-request-private-network",
    ),
    HeaderValue::from_static(
        "origin, access-control-request-method, access-control-request-headers, access-control-request-private-network",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn vary_lines(h: &HeaderMap) -> Vec<&str> {
        h.get_all(VARY).iter().map(|v| v.to_str().unwrap()).collect()
    }

    #[test]
    fn missing_from_reads_lines_as_merge_into_does() {
        let all = Vary::ORIGIN.union(Vary::REQUEST_METHOD);
        assert_eq!(all.missing_from([]), all);
        assert_eq!(all.missing_from([&b"Accept-Encoding, ORIGIN"[..]]), Vary::REQUEST_METHOD);
        assert_eq!(all.missing_from([&b"origin"[..], b" access-control-request-method "]), Vary::NONE);
        assert_eq!(all.missing_from([&b"accept, *"[..]]), Vary::NONE);
    }

    #[test]
    fn precomputed_values_list_exactly_the_set() {
        for bits in 0..16u8 {
            let v = Vary(bits);
            assert_eq!(v.value().to_str().unwrap(), v.names().collect::<Vec<_>>().join(", "));
        }
    }

    #[test]
    fn merge_into_empty_sets_one_line() {
        let mut h = HeaderMap::new();
        Vary::ORIGIN.merge_into(&mut h);
        assert_eq!(vary_lines(&h), ["origin"]);
    }

    #[test]
    fn merge_keeps_other_names_and_skips_present_ones_in_any_case() {
        let mut h = HeaderMap::new();
        h.append(VARY, HeaderValue::from_static("Accept-Encoding"));
        h.append(VARY, HeaderValue::from_static("ORIGIN"));
        Vary::ORIGIN.union(Vary::REQUEST_HEADERS).merge_into(&mut h);
        assert_eq!(vary_lines(&h), ["Accept-Encoding", "ORIGIN", "access-control-request-headers"]);
    }

    #[test]
    fn merging_twice_adds_nothing() {
        let mut h = HeaderMap::new();
        let all = Vary::ORIGIN.union(Vary::REQUEST_METHOD).union(Vary::REQUEST_HEADERS);
        all.merge_into(&mut h);
        all.merge_into(&mut h);
        assert_eq!(h.get_all(VARY).iter().count(), 1);
    }

    #[test]
    fn star_is_left_alone() {
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("*"));
        Vary::ORIGIN.merge_into(&mut h);
        assert_eq!(vary_lines(&h), ["*"]);
    }

    #[test]
    fn star_among_other_names_is_left_alone() {
        // `Vary: *` anywhere in the field already says "depends on everything".
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("accept-encoding, *"));
        Vary::ORIGIN.union(Vary::REQUEST_HEADERS).merge_into(&mut h);
        assert_eq!(vary_lines(&h), ["accept-encoding, *"]);
    }

    #[test]
    fn names_in_lists_with_white_space_count_as_present() {
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("Accept-Encoding ,  ORIGIN\t,access-control-request-method"));
        Vary::ORIGIN.union(Vary::REQUEST_METHOD).merge_into(&mut h);
        assert_eq!(h.get_all(VARY).iter().count(), 1);
    }

    #[test]
    fn names_that_only_contain_a_cors_name_do_not_count() {
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("x-origin, origin-agent-cluster"));
        Vary::ORIGIN.merge_into(&mut h);
        assert_eq!(vary_lines(&h), ["x-origin, origin-agent-cluster", "origin"]);
    }

    #[test]
    fn empty_set_adds_nothing() {
        let mut h = HeaderMap::new();
        Vary::NONE.merge_into(&mut h);
        assert!(h.get(VARY).is_none());
    }
}
