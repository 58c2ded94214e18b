//! The shape of a config file: which keys exist and what kind of value each holds.
//!
//! Checked on the parsed TOML before serde reads it, so every unknown key (with the key meant,
//! when one is close) and every value of the wrong kind is reported at once, located, and in the
//! file's words ("a whole number", "a list of strings"), never in Rust's (`i64`, "invalid type:
//! string, expected a sequence").

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config_error::{ConfigError, ConfigErrors, Location};
use crate::origin::escape;

/// What a key holds.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
    /// A string.
    String,
    /// A list of strings.
    Strings,
    /// A table with these keys.
    Table(&'static [Key]),
    /// A list of tables (`[[name]]`), each with these keys.
    Tables(&'static [Key]),
    /// A table of named tables (`[profiles.NAME]`), each with these keys.
    Named(&'static [Key]),
    /// Anything: another reader checks it.
    Any,
}

impl Kind {
    /// The kind in the words of a config file.
    fn expected(self) -> &'static str {
        match self {
            Kind::Bool => "true or false",
            Kind::Integer => "a whole number",
            Kind::String => "a string in quotes",
            Kind::Strings => "a list of strings",
            Kind::Table(_) | Kind::Named(_) => "a table",
            Kind::Tables(_) => "a list of tables",
            Kind::Any => "anything",
        }
    }
}

/// One key a table may hold.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    /// The key as written in the file.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
}

impl Key {
    /// A key named `name` holding `kind`.
    pub const fn new(name: &'static str, kind: Kind) -> Key {
        Key { name, kind }
    }
}

/// Where in the file a table is, for error messages: its dotted path, and whether it is a
/// `[proxy]` table (whose keys its reader documents, not the policy's).
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    pub(crate) path: &'a str,
    pub(crate) proxy: bool,
}

/// Checks `table` against `keys`, pushing one error per unknown key and per value of the wrong
/// kind (and descending into sub-tables).
pub(crate) fn check_table(
    text: &str,
    table: &DeTable<'_>,
    keys: &[Key],
    place: Place<'_>,
    errors: &mut Vec<(usize, ConfigError)>,
) {
    for (name, value) in table.iter() {
        let path = join(place.path, name.get_ref());
        let Some(key) = keys.iter().find(|k| k.name == name.get_ref().as_ref()) else {
            let suggestion = did_you_mean(name.get_ref(), keys.iter().map(|k| k.name)).map(str::to_owned);
            errors.push((
                name.span().start,
                ConfigError::UnknownKey { key: escape(&path), suggestion, proxy: place.proxy },
            ));
            continue;
        };
        check_value(text, value, key, Place { path: &path, proxy: place.proxy }, errors);
    }
}

pub(crate) fn check_value(
    text: &str,
    value: &Spanned<DeValue<'_>>,
    key: &Key,
    place: Place<'_>,
    errors: &mut Vec<(usize, ConfigError)>,
) {
    let at = value.span().start;
    let wrong = |found: &DeValue<'_>| ConfigError::WrongType {
        key: escape(place.path),
        expected: key.kind.expected(),
        found: found_words(found),
        hint: hint(key, place.path, found, text.get(value.span()).unwrap_or_default()),
    };
    match (key.kind, value.get_ref()) {
        (Kind::Any, _)
        | (Kind::Bool, DeValue::Boolean(_))
        | (Kind::Integer, DeValue::Integer(_))
        | (Kind::String, DeValue::String(_)) => {}
        (Kind::Strings, DeValue::Array(items)) => {
            for item in items.iter() {
                if !matches!(item.get_ref(), DeValue::String(_)) {
                    errors.push((
                        item.span().start,
                        ConfigError::WrongType {
                            key: escape(place.path),
                            expected: "a string in quotes (each entry of the list)",
                            found: found_words(item.get_ref()),
                            hint: String::new(),
                        },
                    ));
                }
            }
        }
        (Kind::Table(keys), DeValue::Table(t)) => check_table(text, t, keys, place, errors),
        (Kind::Named(keys), DeValue::Table(t)) => {
            for (name, inner) in t.iter() {
                let path = join(place.path, name.get_ref());
                match inner.get_ref() {
                    DeValue::Table(t) => check_table(text, t, keys, Place { path: &path, proxy: place.proxy }, errors),
                    other => errors.push((
                        inner.span().start,
                        ConfigError::WrongType {
                            key: escape(&path),
                            expected: "a table",
                            found: found_words(other),
                            hint: format!("write it as a table: [{}]", escape(&path)),
                        },
                    )),
                }
            }
        }
        (Kind::Tables(keys), DeValue::Array(items)) => {
            for item in items.iter() {
                match item.get_ref() {
                    DeValue::Table(t) => check_table(text, t, keys, place, errors),
                    other => errors.push((item.span().start, wrong(other))),
                }
            }
        }
        (_, other) => errors.push((at, wrong(other))),
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A value's kind in the words of a config file.
fn found_words(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true or false",
        DeValue::Datetime(_) => "a date or time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

/// What to write instead, when the mistake is a usual one.
fn hint(key: &Key, path: &str, found: &DeValue<'_>, written: &str) -> String {
    let name = escape(key.name);
    match (key.kind, found) {
        (Kind::Strings, DeValue::String(s)) => {
            format!("lists are written in brackets, e.g. {name} = [{}]", escape(&format!("{:?}", s.as_ref())))
        }
        (Kind::Integer, DeValue::String(s)) if s.trim().parse::<i64>().is_ok() => {
            format!("write it without quotes: {name} = {}", s.trim())
        }
        (Kind::Integer, DeValue::Float(_)) => format!("write a whole number such as {name} = 600"),
        (Kind::Bool, DeValue::String(s)) if matches!(s.as_ref(), "true" | "false") => {
            format!("write it without quotes: {name} = {s}")
        }
        (Kind::Bool, _) => format!("write {name} = true or {name} = false"),
        (Kind::String, _) => format!("put it in quotes: {name} = \"{}\"", escape(written.trim_matches('"'))),
        (Kind::Table(_), _) => format!("write it as a table: [{}]", escape(path)),
        (Kind::Tables(_), _) => format!("write each entry as [[{}]]", escape(path)),
        _ => String::new(),
    }
}

/// The candidate closest to `word`, when it is close enough to be what was meant: at most two
/// edits away (three for long words), or `word` is part of it (`origins`, `allow_origins`).
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // No key is this long; a hostile file's huge keys must not cost a huge distance table.
    if word.len() > 64 {
        return None;
    }
    let word = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let lower = c.to_ascii_lowercase();
        let d = distance(&word, &lower);
        let close = d <= if word.len() >= 12 { 3 } else { 2 }
            || (word.len() >= 4 && (lower.contains(&word) || word.contains(&lower)));
        if close && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours each cost one (the usual typing mistakes).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Sorts errors found by offset into located [`ConfigErrors`].
pub(crate) fn located(name: &str, text: &str, mut found: Vec<(usize, ConfigError)>) -> ConfigErrors {
    found.sort_by_key(|(at, _)| *at);
    let mut errors = ConfigErrors::default();
    for (at, e) in found {
        errors.push_at(e, Some(Location::in_text(name, text, at)));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let keys = ["allow_origins", "allow_headers", "max_age", "upstream"];
        assert_eq!(did_you_mean("allow_origin", keys), Some("allow_origins"));
        assert_eq!(did_you_mean("upstrem", keys), Some("upstream"));
        assert_eq!(did_you_mean("max_aeg", keys), Some("max_age"), "a swap is one edit");
        assert_eq!(did_you_mean("origins", keys), Some("allow_origins"), "a part of the key");
        assert_eq!(did_you_mean("Allow_Headers", keys), Some("allow_headers"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(did_you_mean("x", keys), None);
        assert_eq!(did_you_mean(&"allow_origins".repeat(100), keys), None, "long words are not compared");
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
