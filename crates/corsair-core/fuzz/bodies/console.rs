// Fuzz body: pasted console messages (what `corsair explain` reads), on arbitrary text.
// Included by `fuzz_targets/console.rs` and by `tests/fuzz_smoke.rs`.

use corsair_core::console::{parse, parse_all, ParseError};
use corsair_core::cors_error::{CorsError, Initiator};

/// Reads `data` as a paste, then as noise before a known message wrapped where `data` says.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match parse_all(&text) {
        Ok(messages) => {
            assert!(!messages.is_empty());
            for m in &messages {
                // What the parser reads as a URL, origin or method is one token.
                for v in [&m.url, &m.initial_url, &m.page_origin, &m.method].into_iter().flatten() {
                    assert!(!v.chars().any(char::is_whitespace), "{v:?} from {text:?}");
                }
                assert_eq!(m.is_explained(), m.error.is_some() || m.other.is_some());
            }
        }
        Err(ParseError::Empty) => assert!(text.trim().is_empty(), "{text:?}"),
        Err(_) => assert!(!text.trim().is_empty()),
    }
    let _ = parse(&text);

    // The same bytes as earlier paragraphs of a paste that ends with a known message, wrapped
    // at a column (hard or at spaces, indented or quoted) the first bytes choose: the message
    // is still read whole, and last.
    let [col, pick, style, noise @ ..] = data else { return };
    let errors = [
        CorsError::MissingAllowOriginHeader,
        CorsError::PreflightInvalidStatus { status: 0 },
        CorsError::AllowOriginMismatch { value: b"https://a.example, https://b.example".to_vec() },
        CorsError::MethodDisallowedByPreflightResponse { method: "PUT".into() },
        CorsError::PreflightInvalidAllowCredentials { value: b"\xe9".to_vec() },
    ];
    let error = &errors[usize::from(*pick) % errors.len()];
    let url = "https://api.example.com/v1/items?q=1";
    let message = error.console_message(Initiator::Fetch, url, "https://example.com/start", "http://localhost:3000");
    let indent = ["", "  ", "> "][usize::from(*style) % 3];
    let wrapped = wrap(&message, 8 + usize::from(*col) % 120, style & 4 == 0, indent);
    let pasted = format!("{}\n\n{wrapped}", String::from_utf8_lossy(noise));
    let messages = parse_all(&pasted).unwrap_or_else(|e| panic!("{e}: {pasted:?}"));
    let last = messages.last().unwrap_or_else(|| panic!("{pasted:?}"));
    assert_eq!(last.error.as_ref(), Some(error), "{pasted:?}");
    assert_eq!(last.url.as_deref(), Some(url), "{pasted:?}");
    assert_eq!(last.initial_url.as_deref(), Some("https://example.com/start"), "{pasted:?}");
    assert_eq!(last.page_origin.as_deref(), Some("http://localhost:3000"), "{pasted:?}");
}

/// Breaks `text` every `col` characters (hard) or at the last space before (the space lost).
fn wrap(text: &str, col: usize, hard: bool, indent: &str) -> String {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > col {
        let (cut, skip) = match rest[..col].iter().rposition(|c| *c == ' ') {
            Some(i) if !hard && i > 0 => (i, 1),
            _ => (col, 0),
        };
        lines.push(rest[..cut].iter().collect::<String>());
        rest.drain(..cut + skip);
    }
    lines.push(rest.iter().collect());
    lines.join(&format!("\n{indent}"))
}
