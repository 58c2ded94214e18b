//! HTTP tokens and comma-separated token lists (`#token` in RFC 9110).
//!
//! Two list readers, for two jobs. [`TokenList`] walks a server's request header
//! (`Access-Control-Request-Headers`) without allocating and gives up early on hostile input.
//! [`parse_list`] reads the lists a browser parses out of responses (`Access-Control-Allow-*`,
//! `-Expose-Headers`), with the browser's rules: empty items skipped, any bad item fails the list.
//!
//! ```
//! use corsair_core::token::{parse_list, TokenList};
//! assert_eq!(parse_list(["x-a , ,X-B"]).unwrap(), vec!["x-a", "X-B"]);
//! let names: Vec<_> = TokenList::new(b"content-type,x-id").collect();
//! assert_eq!(names, vec![Ok(&b"content-type"[..]), Ok(&b"x-id"[..])]);
//! ```

/// True if `b` is a non-empty run of token characters (`tchar` in RFC 9110).
pub fn is_token(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|&c| is_tchar(c))
}

/// A token character: letters, digits and ``!#$%&'*+-.^_`|~``.
pub fn is_tchar(c: u8) -> bool {
    TCHAR[usize::from(c)]
}

/// [`is_tchar`] as a table: one load per byte on request paths.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        c += 1;
    }
    t
};

fn is_ows(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Trims optional white space (space and tab) from both ends.
pub fn trim_ows(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if !is_ows(*first) {
            break;
        }
        b = rest;
    }
    while let [rest @ .., last] = b {
        if !is_ows(*last) {
            break;
        }
        b = rest;
    }
    b
}

/// An item of a list that is not a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadItem<'a>(pub &'a [u8]);

/// Empty items tolerated in one request-header list before it counts as hostile.
///
/// Browsers never send empty items; some proxies leave a few. Thousands of commas are an attack
/// on servers that split and allocate per item.
pub const MAX_EMPTY_ITEMS: usize = 16;

/// Iterates the non-empty items of a comma-separated token list, without allocating.
///
/// Yields `Err` for an item that is not a token, and once more than [`MAX_EMPTY_ITEMS`] empty
/// items were skipped (a hostile list); stops after the first `Err`.
#[derive(Clone, Debug)]
pub struct TokenList<'a> {
    rest: Option<&'a [u8]>,
    empties: usize,
}

impl<'a> TokenList<'a> {
    /// Starts reading `value`.
    pub fn new(value: &'a [u8]) -> Self {
        TokenList { rest: Some(value), empties: 0 }
    }
}

impl<'a> Iterator for TokenList<'a> {
    type Item = Result<&'a [u8], BadItem<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let item = if let [b',', tail @ ..] = rest {
                // An empty item without white space: what hostile lists are made of.
                self.rest = Some(tail);
                &rest[..0]
            } else {
                // One pass: white space, a run of token characters, white space, then a comma or
                // the end. Anything else makes the item (up to the next comma) a bad one.
                let mut start = 0;
                while start < rest.len() && is_ows(rest[start]) {
                    start += 1;
                }
                let mut end = start;
                while end < rest.len() && is_tchar(rest[end]) {
                    end += 1;
                }
                let mut after = end;
                while after < rest.len() && is_ows(rest[after]) {
                    after += 1;
                }
                self.rest = match rest.get(after) {
                    None => None,
                    Some(b',') => Some(&rest[after + 1..]),
                    Some(_) => {
                        self.rest = None;
                        let stop = rest[after..].iter().position(|&c| c == b',').map_or(rest.len(), |i| after + i);
                        return Some(Err(BadItem(trim_ows(&rest[start..stop]))));
                    }
                };
                &rest[start..end]
            };
            if item.is_empty() {
                self.empties += 1;
                if self.empties > MAX_EMPTY_ITEMS {
                    self.rest = None;
                    return Some(Err(BadItem(b"")));
                }
                continue;
            }
            return Some(Ok(item));
        }
    }
}

/// Parses one or more header lines as a `#token` list the way browsers parse
/// `Access-Control-Allow-Methods` and `-Headers`: lines are joined with `,`, items trimmed,
/// empty items skipped; the first non-token item is returned as the error.
pub fn parse_list<'a, I, S>(lines: I) -> Result<Vec<String>, String>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    let mut out = Vec::new();
    for line in lines {
        for item in line.as_ref().split(',') {
            let item = trim_ows(item.as_bytes());
            if item.is_empty() {
                continue;
            }
            if !is_token(item) {
                return Err(String::from_utf8_lossy(item).into_owned());
            }
            // A token is ASCII, so this cannot fail.
            out.push(String::from_utf8_lossy(item).into_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(v: &[u8]) -> Vec<Result<&[u8], BadItem<'_>>> {
        TokenList::new(v).collect()
    }

    #[test]
    fn tokens_accept_tchars_only() {
        assert!(is_token(b"x-requested-with"));
        assert!(is_token(b"*"));
        for bad in [&b""[..], b"a b", b"a:b", b"a\"", b"\x7f", b"\xc3\xa9", b"a/b", b"(", b"@", b"a,b"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn ows_is_space_and_tab_only() {
        assert_eq!(trim_ows(b" \t a \t "), b"a");
        assert_eq!(trim_ows(b"\na\r"), b"\na\r");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn list_skips_empty_items_and_trims() {
        assert_eq!(items(b" a ,, b,\tc\t,"), vec![Ok(&b"a"[..]), Ok(&b"b"[..]), Ok(&b"c"[..])]);
        assert!(items(b"").is_empty());
        assert!(items(b" , ").is_empty());
    }

    #[test]
    fn list_stops_at_first_bad_item() {
        assert_eq!(items(b"a, b c, d"), vec![Ok(&b"a"[..]), Err(BadItem(b"b c"))]);
        assert_eq!(items(b"a;b"), vec![Err(BadItem(b"a;b"))]);
    }

    #[test]
    fn hostile_runs_of_commas_end_early() {
        let hostile = vec![b','; 1 << 20];
        let got = items(&hostile);
        assert_eq!(got, vec![Err(BadItem(b""))]);
        // n commas separate n + 1 empty items.
        let ok = vec![b','; MAX_EMPTY_ITEMS - 1];
        assert!(items(&ok).is_empty());
        let one_too_many = vec![b','; MAX_EMPTY_ITEMS];
        assert_eq!(items(&one_too_many), vec![Err(BadItem(b""))]);
    }

    /// The previous `TokenList`, kept as the reference: split at the comma, trim, then check.
    fn reference(v: &[u8]) -> Vec<Result<&[u8], BadItem<'_>>> {
        let mut out = Vec::new();
        let mut empties = 0;
        for item in v.split(|&c| c == b',') {
            let item = trim_ows(item);
            if item.is_empty() {
                empties += 1;
                if empties > MAX_EMPTY_ITEMS {
                    out.push(Err(BadItem(b"")));
                    break;
                }
                continue;
            }
            if !is_token(item) {
                out.push(Err(BadItem(item)));
                break;
            }
            out.push(Ok(item));
        }
        out
    }

    #[test]
    fn the_one_pass_list_agrees_with_the_reference_on_tricky_cases() {
        for case in [
            &b""[..],
            b",",
            b" ",
            b"a",
            b" a ",
            b"a b",
            b"a\tb",
            b"a ,b",
            b"a, b c ,d",
            b"a,\x01,b",
            b" \x01 ,",
            b"a;b,c",
            b"a,,,,,,,,,,,,,,,,,,b",
            b"a,,,,,,,,,,,,,,,,,b",
            b"x-a\t,\tx-b\t",
            b"a\r",
            b"\xc3\xa9",
            b"a,",
            b",a",
            b"a ,",
        ] {
            assert_eq!(items(case), reference(case), "{:?}", String::from_utf8_lossy(case));
        }
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_list_agrees_with_the_reference_on_any_bytes(
            b in proptest::collection::vec(proptest::sample::select(&b"ab-_ ,\t;\x00\xff\"*"[..]), 0..40)
        ) {
            proptest::prop_assert_eq!(items(&b), reference(&b));
        }
    }

    #[test]
    fn the_tchar_table_is_rfc_9110s_list() {
        for c in 0..=255u8 {
            let expected = c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
            assert_eq!(is_tchar(c), expected, "{c:#x}");
        }
    }

    #[test]
    fn parse_list_joins_lines_and_reports_the_bad_item() {
        assert_eq!(parse_list(["GET, PUT", "", "x-a"]).unwrap(), vec!["GET", "PUT", "x-a"]);
        assert_eq!(parse_list(["GET, P T"]).unwrap_err(), "P T");
        assert_eq!(parse_list::<_, str>([]).unwrap(), Vec::<String>::new());
    }
}
