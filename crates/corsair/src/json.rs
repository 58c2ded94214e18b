//! Just enough JSON output for reports: strings, optional strings and string arrays, escaped
//! per RFC 8259. Numbers and booleans are written with `format!` by the callers.

/// Appends `value` as a JSON string literal.
pub fn push_str(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `value` as a JSON string, or `null`.
pub fn push_opt_str(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => push_str(out, v),
        None => out.push_str("null"),
    }
}

/// Appends an array of JSON strings.
pub fn push_str_array<S: AsRef<str>>(out: &mut String, items: &[S]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, item.as_ref());
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(value: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, value);
        out
    }

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        assert_eq!(string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(string("line\nnext\ttab\r"), r#""line\nnext\ttab\r""#);
        assert_eq!(string("\u{0}\u{1b}\u{7f}"), r#""\u0000\u001b\u007f""#);
    }

    #[test]
    fn keeps_other_unicode_as_is() {
        assert_eq!(string("bücher.example ✓"), "\"bücher.example ✓\"");
        assert_eq!(string("\u{2028}"), r#""\u2028""#);
    }

    #[test]
    fn arrays_and_null() {
        let mut out = String::new();
        push_str_array(&mut out, &["a", "b\"c"]);
        out.push(' ');
        push_str_array::<&str>(&mut out, &[]);
        out.push(' ');
        push_opt_str(&mut out, None);
        assert_eq!(out, r#"["a","b\"c"] [] null"#);
    }
}
