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
    /// Every name by its length and first and last eight bytes, so that a requested name after a
    /// gap in the list is found with one hash and (usually) one slot; open addressing, at most a
    /// quarter full, a power of two long.
    table: Box<[Slot]>,
}

/// One listed name in [`ListedNames::table`]; `len == 0` marks an empty slot (names are never
/// empty).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// [`name_words`]: the first eight bytes (fewer zero-padded) and, past eight bytes, the last
    /// eight, as little-endian words.
    first: u64,
    last: u64,
    len: usize,
    /// The name's place in the sorted list.
    index: usize,
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
        let size = (sorted.len() * 4).next_power_of_two().max(8);
        let mut table = vec![Slot::default(); size].into_boxed_slice();
        for (index, name) in sorted.iter().enumerate() {
            let name = name.as_bytes();
            let (first, last) = name_words(name);
            let mut at = slot_of(first, last, name.len(), size);
            // Never full (a quarter at most), so an empty slot comes.
            while table[at].len != 0 {
                at = (at + 1) & (size - 1);
            }
            table[at] = Slot { first, last, len: name.len(), index };
        }
        ListedNames { joined: [comma, spaced], starts: [comma_starts, spaced_starts], table }
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
        let listed = starts.len() - 1;
        // `q`: where the current requested name starts in `value`; `i`: the first listed name
        // it may be.
        let (mut q, mut i) = (skip_ows(value, 0), 0);
        let mut try_run = true;
        loop {
            if try_run && i < listed {
                // As many names as match at once: the usual request is a run of consecutive ones.
                let p = starts[i];
                let run = common_prefix(&value[q..], &joined[p..]);
                let stop = p + run;
                if q + run == value.len() && joined.get(stop).is_none_or(|&b| b == b',') {
                    // The value ends where a listed name ends: every name in the run is listed.
                    return q < value.len();
                }
                // The listed name the run stopped in (or after): the ones before it were matched,
                // with their separators; the requested name there is looked up.
                let j = last_start_at_or_before(&starts[..listed], i, stop);
                q = skip_ows(value, q + starts[j] - p);
                i = j;
            }
            // An empty item (`a,,b`, a hostile run of commas) or a trailing comma: the general
            // loop's.
            if matches!(value.get(q), None | Some(b',')) {
                return false;
            }
            // One name, by hash: listed, and after the names already taken.
            let Some((k, len)) = self.find(&value[q..]) else {
                return false;
            };
            if k < i {
                return false;
            }
            let mut after = q + len;
            match value.get(after) {
                Some(b',') => {}
                None => return true,
                Some(b' ' | b'\t') => {
                    after = skip_ows(value, after);
                    match value.get(after) {
                        Some(b',') => {}
                        None => return true,
                        Some(_) => return false,
                    }
                }
                Some(_) => return false,
            }
            q = after + 1;
            if matches!(value.get(q), Some(b' ' | b'\t')) {
                q = skip_ows(value, q);
            }
            i = k + 1;
            // A run again only where the next listed name starts as the next requested one does
            // (one word compared): requests that skip names go on name by name.
            try_run = i < listed && starts_alike(&value[q..], &joined[starts[i]..]);
        }
    }

    /// The place in the sorted list of the listed name at the start of `rest` (up to `,`, white
    /// space or the end), and its length; `None` if that name is not listed. An empty name finds
    /// nothing (no slot holds length 0), but callers check for it first, more cheaply.
    #[inline(always)]
    fn find(&self, rest: &[u8]) -> Option<(usize, usize)> {
        let (len, first, last) = name_at(rest);
        let mask = self.table.len() - 1;
        let mut at = slot_of(first, last, len, self.table.len());
        loop {
            let slot = self.table[at];
            if slot.len == 0 {
                return None;
            }
            if slot.first == first
                && slot.len == len
                && slot.last == last
                && (len <= 16 || self.same_middle(slot.index, &rest[..len]))
            {
                return Some((slot.index, len));
            }
            at = (at + 1) & mask;
        }
    }

    /// Whether listed name `index` and `name`, of the same length and the same first and last
    /// eight bytes, have the same bytes between: names longer than 16 bytes, rare, kept out of
    /// the usual path.
    #[cold]
    #[inline(never)]
    fn same_middle(&self, index: usize, name: &[u8]) -> bool {
        let start = self.starts[0][index];
        self.joined[0].get(start..start + name.len()).is_some_and(|listed| listed[8..] == name[8..])
    }
}

/// The slot a name's words and length hash to, in a table of `size` (a power of two) slots.
fn slot_of(first: u64, last: u64, len: usize, size: usize) -> usize {
    let mixed = (first ^ last.rotate_left(29) ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - size.trailing_zeros())) as usize
}

/// The first eight bytes of `name` (fewer zero-padded) and, if it is longer, its last eight, as
/// little-endian words (zero if it is not longer).
fn name_words(name: &[u8]) -> (u64, u64) {
    match name.first_chunk::<8>() {
        Some(first) => {
            let last = if name.len() > 8 { word(&name[name.len() - 8..]) } else { 0 };
            (u64::from_le_bytes(*first), last)
        }
        None => {
            let mut w = [0u8; 8];
            w[..name.len()].copy_from_slice(name);
            (u64::from_le_bytes(w), 0)
        }
    }
}

/// The name at the start of `rest` (up to `,`, ` `, `\t` or the end): its length and
/// [`name_words`]. A name of up to seven bytes with more bytes after it, the usual one, is read
/// from one word.
#[inline(always)]
fn name_at(rest: &[u8]) -> (usize, u64, u64) {
    if let Some(chunk) = rest.first_chunk::<8>() {
        let w = u64::from_le_bytes(*chunk);
        let ends = name_ends(w);
        if ends != 0 {
            let len = ends.trailing_zeros() as usize / 8;
            // `len < 8`: the bytes of the name, the rest zero.
            return (len, w & ((1u64 << (8 * len)) - 1), 0);
        }
    }
    name_at_slowly(rest)
}

/// [`name_at`] for names of eight bytes or more, or at the end of the value.
#[cold]
#[inline(never)]
fn name_at_slowly(rest: &[u8]) -> (usize, u64, u64) {
    let len = name_len(rest);
    let (first, last) = name_words(&rest[..len]);
    (len, first, last)
}

/// The high bit of each byte of `w` (little-endian) that ends a name, and maybe of bytes after
/// the first such byte (the zero-byte test can flag bytes after a true match, never before).
fn name_ends(w: u64) -> u64 {
    zero_byte(w ^ repeat(b',')) | zero_byte(w ^ repeat(b' ')) | zero_byte(w ^ repeat(b'\t'))
}

/// The length of the name at the start of `rest`: up to `,`, ` `, `\t` or the end, a word at a
/// time.
fn name_len(rest: &[u8]) -> usize {
    let mut len = 0;
    while let Some(chunk) = rest.get(len..).and_then(<[u8]>::first_chunk::<8>) {
        let ends = name_ends(u64::from_le_bytes(*chunk));
        if ends != 0 {
            return len + ends.trailing_zeros() as usize / 8;
        }
        len += 8;
    }
    while len < rest.len() && !matches!(rest[len], b',' | b' ' | b'\t') {
        len += 1;
    }
    len
}

/// Whether `a` and `b` have the same first eight bytes (true when either is shorter: the run's
/// compare then decides, over the few bytes left).
fn starts_alike(a: &[u8], b: &[u8]) -> bool {
    match (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// The byte `b` in every byte of a word.
const fn repeat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of each byte of `w` that is zero (and maybe of bytes above a zero one).
fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(repeat(1)) & !w & repeat(0x80)
}

fn skip_ows(value: &[u8], mut at: usize) -> usize {
    while matches!(value.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// The length of the longest common prefix of `a` and `b`: equal 32-byte blocks first (a vector
/// compare each), then a word (8 bytes) at a time from the first block that differs.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut done = 0;
    while let (Some(x), Some(y)) = (a[done..].first_chunk::<32>(), b[done..].first_chunk::<32>()) {
        if x != y {
            break;
        }
        done += 32;
    }
    let (a, b) = (&a[done..], &b[done..]);
    let (len, start) = (a.len(), done);
    let mut done = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let diff = word(x) ^ word(y);
        if diff != 0 {
            // Little-endian: the first differing byte holds the lowest set bit.
            return start + done + diff.trailing_zeros() as usize / 8;
        }
        done += 8;
    }
    while done < len && a[done] == b[done] {
        done += 1;
    }
    start + done
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
        /// Long common prefixes (past one or several 32-byte blocks) are measured exactly.
        #[test]
        fn common_prefix_of_long_alike_values(
            shared in proptest::collection::vec(proptest::sample::select(b"x-h0, ".to_vec()), 0..150),
            a_tail in proptest::collection::vec(proptest::sample::select(b"ab,".to_vec()), 0..20),
            b_tail in proptest::collection::vec(proptest::sample::select(b"ab,".to_vec()), 0..20),
        ) {
            let a = [&shared[..], &a_tail[..]].concat();
            let b = [&shared[..], &b_tail[..]].concat();
            let plain = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix(&a, &b), plain);
        }

        /// The word-at-a-time helpers are the plain byte loops they replace.
        #[test]
        fn word_helpers_agree_with_byte_loops(
            a in proptest::collection::vec(proptest::sample::select(b"ab, \t\x01\x80\xff".to_vec()), 0..40),
            b in proptest::collection::vec(proptest::sample::select(b"ab, \t\x01\x80\xff".to_vec()), 0..40),
        ) {
            let plain = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix(&a, &b), plain);
            let end = a.iter().position(|&c| matches!(c, b',' | b' ' | b'\t')).unwrap_or(a.len());
            proptest::prop_assert_eq!(name_len(&a), end);
            let (first, last) = name_words(&a[..end]);
            proptest::prop_assert_eq!(name_at(&a), (end, first, last));
            let starts_alike_plain = a.len() < 8 || b.len() < 8 || a[..8] == b[..8];
            proptest::prop_assert_eq!(starts_alike(&a, &b), starts_alike_plain);
        }

        /// A name's words are its bytes: equal words and lengths mean equal names up to 16
        /// bytes.
        #[test]
        fn words_hold_names_up_to_sixteen_bytes(a in "[a-c]{0,16}", b in "[a-c]{0,16}") {
            let same = name_words(a.as_bytes()) == name_words(b.as_bytes()) && a.len() == b.len();
            proptest::prop_assert_eq!(same, a == b);
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
