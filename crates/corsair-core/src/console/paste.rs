//! What pasting does to a console message, undone: JSON string escapes, typographic quotes,
//! no-break spaces, quote markers and indentation, and line wrapping at any column.
//!
//! Wrapping is undone by reading without whitespace: every browser message is fixed text
//! around values that hold no whitespace (URLs, origins, methods, header names), so a message
//! squeezed of all whitespace reads the same wherever a terminal, a chat or an issue tracker
//! broke its lines, with or without losing the space at the break. Values that may hold spaces
//! (a header's value in a hint) are read back from the text itself.

/// The pasted text with escapes, quotes, spaces and line decoration normalised, split into
/// paragraphs (a message never spans a blank line).
pub(super) fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for raw in text.split('\n') {
        for line in decode_json_line(raw) {
            let line = normalise_line(&line);
            if line.trim().is_empty() {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                continue;
            }
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line.trim_end());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Quotes and spaces as the browsers print them, and no chat quote markers or indentation.
fn normalise_line(line: &str) -> String {
    let mut s = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' => s.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => s.push('"'),
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\r' => {}
            c if c.is_whitespace() => s.push(' '),
            c => s.push(c),
        }
    }
    let decorated = s.trim_start_matches([' ', '>', '|', '\u{2502}']);
    decorated.to_owned()
}

/// A log line holding JSON (`{"msg":"Access to fetch at ..."}`): its string literals, decoded,
/// one per line, after any text before the JSON. Other lines are returned as they are.
fn decode_json_line(line: &str) -> Vec<String> {
    let Some(open) = line.find("{\"").or_else(|| line.find("[\"")) else {
        return vec![line.to_owned()];
    };
    let mut out = vec![line[..open].to_owned()];
    let mut chars = line[open..].chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push(' '),
                    Some('r') => {}
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(ch) => s.push(ch),
                            None => {
                                s.push_str("\\u");
                                s.push_str(&hex);
                            }
                        }
                    }
                    Some(other) => s.push(other),
                    None => {}
                },
                c => s.push(c),
            }
        }
        out.extend(s.split('\n').map(str::to_owned));
    }
    out
}

/// A paragraph without its whitespace, with the way back to the text.
pub(super) struct Squeezed<'a> {
    text: &'a str,
    /// The text's non-whitespace characters.
    pub(super) s: String,
    /// For each byte of `s`, the offset of that byte in `text`.
    at: Vec<usize>,
}

/// Bytes a value, or the gap between a message's fixed parts, may span.
pub(super) const WINDOW: usize = 4096;

/// `pattern` without whitespace: templates are written as the browsers print them.
pub(super) fn squeeze(pattern: &str) -> String {
    pattern.chars().filter(|c| !c.is_whitespace()).collect()
}

impl<'a> Squeezed<'a> {
    pub(super) fn new(text: &'a str) -> Squeezed<'a> {
        let mut s = String::with_capacity(text.len());
        let mut at = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            if !c.is_whitespace() {
                s.push(c);
                at.extend(i..i + c.len_utf8());
            }
        }
        Squeezed { text, s, at }
    }

    pub(super) fn len(&self) -> usize {
        self.s.len()
    }

    /// The end of `pattern` when `s` continues with it at `from`.
    pub(super) fn eat(&self, from: usize, pattern: &str) -> Option<usize> {
        // Compared byte by byte, skipping the pattern's spaces: the hot path, no allocation.
        let s = self.s.as_bytes();
        let mut i = from;
        for b in pattern.bytes().filter(|b| !b.is_ascii_whitespace()) {
            if s.get(i) != Some(&b) {
                return None;
            }
            i += 1;
        }
        Some(i)
    }

    /// Where `pattern` next starts, at most `WINDOW` bytes after `from`.
    pub(super) fn find(&self, from: usize, pattern: &str) -> Option<usize> {
        let p = squeeze(pattern);
        let end = floor_boundary(&self.s, from.saturating_add(WINDOW + p.len()));
        self.s.get(from..end)?.find(&p).map(|i| from + i)
    }

    /// Where `pattern` next starts, when it is in the same message as `from`: what lies between
    /// (a value) holds no other message's start.
    pub(super) fn find_in_message(&self, from: usize, pattern: &str) -> Option<usize> {
        let b = self.find(from, pattern)?;
        let between = self.s.get(from..b)?;
        let starts =
            ["Accessto", "Cross-OriginRequest", "cannotload", "Failedtoload", "blockedbyCORSpolicy", "(Reason:"];
        (!starts.iter().any(|m| between.contains(m))).then_some(b)
    }

    /// Where `pattern` next starts, anywhere after `from`.
    pub(super) fn find_anywhere(&self, from: usize, pattern: &str) -> Option<usize> {
        self.s.get(from..)?.find(&squeeze(pattern)).map(|i| from + i)
    }

    /// `s[a..b]`: a value that holds no whitespace (URL, origin, method, header name).
    pub(super) fn token(&self, a: usize, b: usize) -> String {
        self.s.get(a..b).unwrap_or_default().to_owned()
    }

    /// The text behind `s[a..b]` with its own spaces: a line break and the indentation after
    /// it vanish (a wrap), except after a comma, where they stand for the space lost there.
    pub(super) fn value(&self, a: usize, b: usize) -> String {
        let Some(text) = self.original(a, b) else { return String::new() };
        let mut out = String::with_capacity(text.len());
        let mut run = String::new();
        for c in text.chars() {
            if c.is_whitespace() {
                run.push(c);
                continue;
            }
            if run.contains('\n') {
                if out.ends_with(',') {
                    out.push(' ');
                }
            } else {
                out.push_str(&run);
            }
            run.clear();
            out.push(c);
        }
        out
    }

    /// The text behind `s[a..b]` as prose: every run of whitespace one space.
    pub(super) fn prose(&self, a: usize, b: usize) -> String {
        self.original(a, b).map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default()
    }

    fn original(&self, a: usize, b: usize) -> Option<&'a str> {
        if a >= b || b > self.at.len() {
            return None;
        }
        // `a` and `b` may fall inside a character: widen to whole characters.
        let start = floor_boundary(self.text, self.at[a]);
        let mut end = self.at[b - 1] + 1;
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        self.text.get(start..end)
    }

    /// A decimal number at `from` (at most five digits), and where it ends.
    pub(super) fn number(&self, from: usize) -> Option<(u16, usize)> {
        let digits = self.s.get(from..)?.bytes().take(5).take_while(u8::is_ascii_digit).count();
        let n = self.s.get(from..from + digits)?.parse().ok()?;
        Some((n, from + digits))
    }
}

/// The largest char boundary of `s` at or below `i`.
pub(super) fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
