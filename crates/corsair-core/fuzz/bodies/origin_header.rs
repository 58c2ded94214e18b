// Fuzz body: the three origin parsers and the pattern parser, on arbitrary text.
// Included by `fuzz_targets/origin_header.rs` and by `tests/fuzz_smoke.rs`.

use std::sync::OnceLock;

use corsair_core::{Origin, OriginError, OriginMatch, OriginPattern, OriginRef, OriginSet, PatternError};

/// Wildcards of the shapes matched on bytes (`pattern/quick.rs`), for the check below.
fn quick_set() -> &'static OriginSet {
    static SET: OnceLock<OriginSet> = OnceLock::new();
    SET.get_or_init(|| {
        ["https://*.example.com", "http://localhost:*", "capacitor://*.a_b-c.example", "http://127.0.0.1:8080"]
            .iter()
            .map(|p| OriginPattern::parse(p).unwrap())
            .collect()
    })
}

/// Parses `data` every way an origin can arrive and checks that the parsers agree.
pub fn run(data: &[u8]) {
    // What the byte-level pattern match proves, parsing and the general tables agree with.
    if quick_set().matches_pattern_bytes(data) {
        let o = OriginRef::parse(data).unwrap_or_else(|| panic!("{data:?} proven but not an origin"));
        assert_eq!(quick_set().matches_wildcards(o), Some(OriginMatch::Pattern), "{data:?}");
    }
    // The Origin header: only the exact serialisation, which is then the input itself.
    if let Some(o) = OriginRef::parse(data) {
        assert_eq!(o.as_str().as_bytes(), data);
        let owned = o.to_owned();
        assert_eq!(owned.as_str().as_bytes(), data);
        assert_eq!(Origin::parse_header(data).as_ref().map(Origin::as_str), Ok(owned.as_str()));
        let _ = (owned.is_loopback(), owned.is_potentially_trustworthy(), owned.host_kind(), owned.effective_port());
    } else if !data.is_empty() {
        assert!(Origin::parse_header(data).is_err());
    }
    let Ok(text) = std::str::from_utf8(data) else { return };

    // A configured origin is one a browser can send, and its canonical proposals are valid.
    match Origin::parse_configured(text) {
        Ok(o) => {
            assert_eq!(OriginRef::parse(o.as_str().as_bytes()).map(|r| r.as_str()), Some(o.as_str()), "{text:?}");
            assert_eq!(Origin::parse_configured(o.as_str()).as_ref(), Ok(&o));
        }
        Err(e) => {
            let _ = e.to_string();
            if let OriginError::NotCanonical { canonical, .. } = &e {
                assert!(Origin::parse_configured(canonical).is_ok(), "{text:?} proposed {canonical:?}");
            }
        }
    }

    // The forgiving WHATWG parser: its non-null answers are canonical.
    if let Ok(o) = Origin::parse(text) {
        if !o.is_null() {
            assert_eq!(Origin::parse_configured(o.as_str()).as_ref(), Ok(&o), "{text:?}");
        }
    }

    // Patterns: Display round-trips; proposals are valid patterns.
    match OriginPattern::parse(text) {
        Ok(p) => {
            let shown = p.to_string();
            assert_eq!(OriginPattern::parse(&shown).as_ref(), Ok(&p), "{text:?} shown as {shown:?}");
            let _ = (p.public_suffix_parent(), p.is_loopback(), p.scheme(), p.is_null());
            if let Some(o) = OriginRef::parse(data) {
                assert!(p.matches(o) || !matches!(p, OriginPattern::Exact(_)), "an exact pattern matches itself");
            }
        }
        Err(e) => {
            let _ = e.to_string();
            if let PatternError::Origin(OriginError::NotCanonical { canonical, .. }) = &e {
                assert!(OriginPattern::parse(canonical).is_ok(), "{text:?} proposed {canonical:?}");
            }
        }
    }
}
