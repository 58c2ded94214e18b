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
        ListedNames { joined: [comma, spaced], starts: [comma_starts, spaced_starts] }
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
            let j = if stop < starts[i + 1] { i } else { i + starts[i..listed].partition_point(|&s| s <= stop) - 1 };
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
                    // Longer than `j`, so after it.
                    Some(_) => {}
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
                Some(&b) if !matches!(b, b',' | b' ' | b'\t') && b > joined[starts[j] + common] => i = j + 1,
                // Before `j` (a prefix of it, or a smaller byte): not listed, or out of order.
                _ => return false,
            }
        }
        false
    }
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
    done + a[done..].iter().zip(&b[done..]).take_while(|(x, y)| x == y).count()
}

/// Eight bytes as a little-endian word.
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}
