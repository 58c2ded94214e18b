//! The fast path for `Access-Control-Request-Headers` in the form browsers send it: a merge of
//! the requested names with the policy's sorted list, written against that list joined once.
//!
//! Browsers send the names lower case, sorted, distinct and separated by `,` (other clients
//! often write `, `). [`ListedNames`] keeps the policy's sorted names joined both ways, so the
//! usual request, a run of consecutive listed names, is checked by one compare of its bytes with
//! a slice of the joined list (a word at a time), and a request that skips listed names moves on
//! by whole names. It only ever answers "all listed": anything else (a name not listed, another
//! form, an empty item) sends the value to the general loop in `decision.rs`, which decides
//! alone; a property test in `tests.rs` holds the two to one answer.

/// A policy's allowed request-header names (lower case, sorted, distinct), prepared for
/// [`ListedNames::all_listed`].
#[derive(Clone, Debug, Default)]
pub(crate) struct ListedNames {
    /// The names joined by `,` and by `, `.
    joined: [Box<[u8]>; 2],
    /// Where each name starts in each joined string, then one entry past the end (the joined
    /// length plus one separator), so name `k` is `starts[k]..starts[k + 1] - separator`.
    starts: [Box<[usize]>; 2],
    /// Each name's first eight bytes as a big-endian number (zero-padded), so that names that
    /// sort before a requested one are skipped by comparing numbers; in the names' order.
    keys: Box<[u64]>,
}

const SEPARATORS: [&[u8]; 2] = [b",", b", "];

impl ListedNames {
    /// Prepares `sorted` (lower case, sorted, distinct, as the policy keeps them).
    pub(crate) fn new(sorted: &[Box<str>]) -> ListedNames {
        let form = |separator: &[u8]| {
            let mut joined = Vec::new();
            let mut starts = Vec::with_capacity(sorted.len() + 1);
            for name in sorted {
                starts.push(joined.len());
                joined.extend_from_slice(name.as_bytes());
                joined.extend_from_slice(separator);
            }
            starts.push(joined.len());
            joined.truncate(joined.len().saturating_sub(separator.len()));
            (joined.into_boxed_slice(), starts.into_boxed_slice())
        };
        let (comma, comma_starts) = form(SEPARATORS[0]);
        let (spaced, spaced_starts) = form(SEPARATORS[1]);
        let keys = sorted.iter().map(|name| key(name.as_bytes())).collect();
        ListedNames { joined: [comma, spaced], starts: [comma_starts, spaced_starts], keys }
    }

    /// True if `value` is a list of listed names in increasing order, separated by `,` with
    /// optional white space around names (trimmed as the general loop trims it). False sends
    /// the value to the general loop.
    ///
    /// True is always the general loop's answer: every name is byte-equal to a listed one (so a
    /// valid lower-case token), and the walk only moves forward through the list, so the names
    /// are distinct and no more than the list holds, within the loop's count limit.
    pub(crate) fn all_listed(&self, value: &[u8]) -> bool {
        // The separator before the second name picks the joined string runs are compared with;
        // a value that mixes both still gets there, name by name.
        let form = match value.iter().position(|&b| b == b',') {
            Some(comma) => usize::from(value.get(comma + 1) == Some(&b' ')),
            None => 0,
        };
        let (joined, starts) = (&*self.joined[form], &*self.starts[form]);
        let separator = SEPARATORS[form].len();
        let listed = starts.len() - 1;
        // `q`: where the current requested name starts in `value`; `i`: the first listed name
        // it may be.
        let (mut q, mut i) = (skip_ows(value, 0), 0);
        while i < listed {
            // As many names as match at once: the usual request is a run of consecutive ones.
            let p = starts[i];
            let run = common_prefix(&value[q..], &joined[p..]);
            let stop = p + run;
            if q + run == value.len() && joined.get(stop).is_none_or(|&b| b == b',') {
                // The value ends where a listed name ends: every name in the run is listed.
                return q < value.len();
            }
            // The listed name the run stopped in (or after): the ones before it were matched,
            // with their separators.
            let j = last_start_at_or_before(&starts[..listed], i, stop);
            q += starts[j] - p;
            let common = stop - starts[j];
            let name_len = starts[j + 1] - starts[j] - separator;
            if common >= name_len {
                // Listed name `j` is all there: the requested name is it if it ends there.
                match value.get(q + name_len) {
                    // It ends there: listed. Then white space, and `,` or the end.
                    Some(b',' | b' ' | b'\t') => {
                        let after = skip_ows(value, q + name_len);
                        match value.get(after) {
                            None => return true,
                            Some(b',') => q = skip_ows(value, after + 1),
                            Some(_) => return false,
                        }
                    }
                    None => return true,
                    // Longer than `j`, so after it, and after every name whose key is smaller.
                    Some(_) => {
                        i = self.skip_smaller(j + 1, &value[q..]);
                        continue;
                    }
                }
                i = j + 1;
                continue;
            }
            // They differ inside listed name `j`: skip it if the requested name sorts after it.
            match value.get(q + common) {
                // White space the joined form has not (`a,\tb`, `a,  b`): trimmed.
                Some(b' ' | b'\t') if common == 0 => {
                    q = skip_ows(value, q);
                    i = j;
                }
                Some(&b) if !matches!(b, b',' | b' ' | b'\t') && b > joined[starts[j] + common] => {
                    i = self.skip_smaller(j + 1, &value[q..]);
                }
                // Before `j` (a prefix of it, or a smaller byte): not listed, or out of order.
                _ => return false,
            }
        }
        false
    }
}

impl ListedNames {
    /// The first listed name from `from` on that may be the requested name at the start of
    /// `rest`: names whose key is smaller sort before it. A few are stepped over, a longer gap
    /// is searched.
    fn skip_smaller(&self, from: usize, rest: &[u8]) -> usize {
        let wanted = requested_key(rest);
        let keys = &self.keys[from..];
        let mut at = 0;
        while at < keys.len().min(8) {
            if keys[at] >= wanted {
                return from + at;
            }
            at += 1;
        }
        from + at + keys[at..].partition_point(|&k| k < wanted)
    }
}

/// [`key`] of the requested name at the start of `rest` (up to `,` or white space).
fn requested_key(rest: &[u8]) -> u64 {
    let Some(first) = rest.first_chunk::<8>() else {
        let end = rest.iter().position(|&b| matches!(b, b',' | b' ' | b'\t')).unwrap_or(rest.len());
        return key(&rest[..end]);
    };
    // Little-endian, so the lowest flagged byte is the first one that ends the name (the
    // zero-byte test can flag bytes after a true match, never before).
    let w = u64::from_le_bytes(*first);
    let ends = zero_byte(w ^ repeat(b',')) | zero_byte(w ^ repeat(b' ')) | zero_byte(w ^ repeat(b'\t'));
    let len = ends.trailing_zeros() / 8;
    let kept = if len >= 8 { w } else { w & ((1u64 << (8 * len)) - 1) };
    kept.swap_bytes()
}

/// The byte `b` in every byte of a word.
const fn repeat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of each byte of `w` that is zero (and maybe of bytes above a zero one).
fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(repeat(1)) & !w & repeat(0x80)
}

/// The first eight bytes of a name (fewer followed by zeros) as a big-endian number: for names
/// without NUL bytes (tokens have none), a smaller key means a name that sorts before.
fn key(name: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = name.len().min(8);
    w[..n].copy_from_slice(&name[..n]);
    u64::from_be_bytes(w)
}

fn skip_ows(value: &[u8], mut at: usize) -> usize {
    while matches!(value.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// The length of the longest common prefix of `a` and `b`, compared a word (8 bytes) at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut done = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let diff = word(x) ^ word(y);
        if diff != 0 {
            // Little-endian: the first differing byte holds the lowest set bit.
            return done + diff.trailing_zeros() as usize / 8;
        }
        done += 8;
    }
    while done < len && a[done] == b[done] {
        done += 1;
    }
    done
}

/// The last `k >= from` with `starts[k] <= at` (`starts[from] <= at`): a run usually stops in
/// the first or second name it reached, so those are looked at before a search.
fn last_start_at_or_before(starts: &[usize], from: usize, at: usize) -> usize {
    match starts.get(from + 1..from + 3) {
        Some(&[next, _]) if next > at => from,
        Some(&[_, after]) if after > at => from + 1,
        _ => from + starts[from..].partition_point(|&s| s <= at) - 1,
    }
}

/// Eight bytes as a little-endian word.
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-at-a-time helpers are the plain byte loops they replace.
        #[test]
        fn word_helpers_agree_with_byte_loops(
            a in proptest::collection::vec(proptest::sample::select(b"ab, \t\x01\x80\xff".to_vec()), 0..40),
            b in proptest::collection::vec(proptest::sample::select(b"ab, \t\x01\x80\xff".to_vec()), 0..40),
        ) {
            let plain = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix(&a, &b), plain);
            let end = a.iter().position(|&c| matches!(c, b',' | b' ' | b'\t')).unwrap_or(a.len());
            proptest::prop_assert_eq!(requested_key(&a), key(&a[..end]));
        }

        /// Keys order names as bytes do, wherever they differ.
        #[test]
        fn keys_keep_the_order(a in "[!-~]{1,12}", b in "[!-~]{1,12}") {
            let (ka, kb) = (key(a.as_bytes()), key(b.as_bytes()));
            if ka < kb {
                proptest::prop_assert!(a < b);
            }
        }
    }

    #[test]
    fn runs_stop_in_the_right_name() {
        let starts = [0, 4, 8, 12, 16];
        for at in 0..20 {
            for from in 0..starts.len() {
                if starts[from] <= at {
                    let plain = (from..starts.len()).rev().find(|&k| starts[k] <= at).unwrap();
                    assert_eq!(last_start_at_or_before(&starts, from, at), plain, "{from} {at}");
                }
            }
        }
    }
}
