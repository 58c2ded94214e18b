// Fuzz body: request-header lists and the safelists, on arbitrary bytes.
// Included by `fuzz_targets/header_list.rs` and by `tests/fuzz_smoke.rs`.

use corsair_core::safelist::{
    cors_unsafe_request_header_names, is_cors_safelisted_request_header, is_forbidden_request_header,
};
use corsair_core::token::{is_token, parse_list, TokenList, MAX_EMPTY_ITEMS};

/// Reads `data` as an `Access-Control-Request-Headers` value, as response lists, and as a
/// request's header lines (`name:value` per line), checking each reader's promises.
pub fn run(data: &[u8]) {
    // TokenList: tokens only, nothing after the first error, bounded work on empty items.
    let mut failed = false;
    let mut items = 0usize;
    for item in TokenList::new(data) {
        assert!(!failed, "an item after an error");
        match item {
            Ok(t) => {
                assert!(is_token(t));
                items += 1;
            }
            Err(_) => failed = true,
        }
    }
    assert!(items <= data.len());
    let commas = data.iter().filter(|&&b| b == b',').count();
    if !failed {
        assert!(commas < items + MAX_EMPTY_ITEMS, "more than {MAX_EMPTY_ITEMS} empty items accepted");
    }

    let Ok(text) = std::str::from_utf8(data) else { return };

    // parse_list: every item a token, and the lines' tokens are exactly TokenList's.
    let lines: Vec<&str> = text.split('\n').collect();
    if let Ok(list) = parse_list(lines.iter().copied()) {
        assert!(list.iter().all(|t| is_token(t.as_bytes())));
    }

    // The CORS-unsafe names of a request: lower case, sorted, unique tokens.
    let headers: Vec<(&str, &[u8])> = lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| is_token(n.as_bytes()))
        .map(|(n, v)| (n, v.as_bytes()))
        .collect();
    for (n, v) in &headers {
        let safe = is_cors_safelisted_request_header(n, v);
        assert!(!safe || v.len() <= 128, "a safelisted value over 128 bytes");
        let _ = is_forbidden_request_header(n, v);
    }
    let names = cors_unsafe_request_header_names(headers.iter().copied());
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?} is not sorted and unique");
    for n in &names {
        assert!(is_token(n.as_bytes()) && !n.bytes().any(|b| b.is_ascii_uppercase()), "{n:?}");
        assert!(!is_forbidden_request_header(n, b""), "forbidden {n:?} listed");
    }
}
