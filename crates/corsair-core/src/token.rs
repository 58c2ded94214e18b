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
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

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
            let (item, tail) = match rest.iter().position(|&c| c == b',') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            self.rest = tail;
            let item = trim_ows(item);
            if item.is_empty() {
                self.empties += 1;
                if self.empties > MAX_EMPTY_ITEMS {
                    self.rest = None;
                    return Some(Err(BadItem(b"")));
                }
                continue;
            }
            if !is_token(item) {
                self.rest = None;
                return Some(Err(BadItem(item)));
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

    #[test]
    fn parse_list_joins_lines_and_reports_the_bad_item() {
        assert_eq!(parse_list(["GET, PUT", "", "x-a"]).unwrap(), vec!["GET", "PUT", "x-a"]);
        assert_eq!(parse_list(["GET, P T"]).unwrap_err(), "P T");
        assert_eq!(parse_list::<_, str>([]).unwrap(), Vec::<String>::new());
    }
}
