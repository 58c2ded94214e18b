//! The header values a policy answers with, kept for the life of the process.
//!
//! A `HeaderValue` made at run time is reference-counted bytes: every copy put on a response is
//! an atomic increment, and every response dropped an atomic decrement, of one counter that
//! every core serving the policy writes to. A value made from `'static` bytes is copied with
//! neither. So the values a policy builds (its exact origins, joined lists, max age) are
//! interned here: each distinct value is leaked once and shared by every policy built after it,
//! so reloading the same policy keeps nothing more. The process keeps at most [`BUDGET`] bytes;
//! past it, values are counted bytes as before (correct, a little slower).

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

use http::HeaderValue;

/// Most bytes ever interned by one process (ten thousand origins of 100 bytes fit).
pub(crate) const BUDGET: usize = 1 << 20;

#[derive(Default)]
struct Interned {
    values: HashSet<&'static str>,
    bytes: usize,
}

fn interned() -> &'static Mutex<Interned> {
    static INTERNED: OnceLock<Mutex<Interned>> = OnceLock::new();
    INTERNED.get_or_init(Mutex::default)
}

/// `text` as a header value (`None` where `HeaderValue::from_str` refuses it), interned when it
/// is visible ASCII (what `HeaderValue::from_static` takes) and the budget allows.
pub(crate) fn value(text: &str) -> Option<HeaderValue> {
    let visible = text.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
    if !visible {
        return HeaderValue::from_str(text).ok();
    }
    let mut interned = interned().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&kept) = interned.values.get(text) {
        return Some(HeaderValue::from_static(kept));
    }
    if interned.bytes + text.len() > BUDGET {
        return HeaderValue::from_str(text).ok();
    }
    let kept: &'static str = Box::leak(text.into());
    interned.bytes += kept.len();
    interned.values.insert(kept);
    Some(HeaderValue::from_static(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_static_value() {
        let a = value("https://interned-a.example").unwrap();
        let b = value("https://interned-a.example").unwrap();
        assert_eq!(a, "https://interned-a.example");
        // Same bytes, same address: interned once.
        assert_eq!(a.as_bytes().as_ptr(), b.as_bytes().as_ptr());
    }

    #[test]
    fn what_from_str_refuses_is_refused_and_obs_text_is_kept_counted() {
        assert!(value("a\nb").is_none());
        assert!(value("a\u{7f}").is_none());
        let high = value("caf\u{e9}").unwrap();
        assert_eq!(high.as_bytes(), "caf\u{e9}".as_bytes());
    }

    #[test]
    fn past_the_budget_values_are_still_right() {
        // A value longer than the whole budget is never interned, and is still the value.
        let long = "x".repeat(BUDGET + 1);
        let v = value(&long).unwrap();
        assert_eq!(v.as_bytes(), long.as_bytes());
        assert_ne!(v.as_bytes().as_ptr(), value(&long).unwrap().as_bytes().as_ptr());
    }
}
