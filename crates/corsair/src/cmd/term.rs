//! Terminal niceties for `corsair check`: text wrapped to the terminal's width and a "waiting"
//! line while an exchange is slow. Neither happens when the stream is not a terminal, so pipes,
//! files and CI logs get stable, unwrapped text.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The width to wrap stdout's text to: the terminal's, or `None` (no wrapping) when stdout is
/// not a terminal or its width is unknown.
pub fn stdout_columns() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let (terminal_size::Width(w), _) = terminal_size::terminal_size_of(&stdout)?;
    // A pseudo-terminal nobody sized reports 0 columns.
    (w >= 20).then_some(usize::from(w))
}

/// `text` as lines of at most `columns` characters, broken at spaces (a longer word keeps its
/// own line); one line when `columns` is `None`.
pub fn wrap(text: &str, columns: Option<usize>) -> Vec<String> {
    let Some(columns) = columns else { return vec![text.to_owned()] };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > columns {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Writes `text` wrapped to `columns`, the first line after `first` and the others after
/// `rest`; both prefixes are `indent` columns wide as seen (colour codes do not count).
pub fn write_wrapped(
    out: &mut dyn Write,
    text: &str,
    columns: Option<usize>,
    (first, rest, indent): (&str, &str, usize),
) -> std::io::Result<()> {
    let lines = wrap(text, columns.map(|c| c.saturating_sub(indent).max(20)));
    for (i, line) in lines.iter().enumerate() {
        writeln!(out, "{}{line}", if i == 0 { first } else { rest })?;
    }
    Ok(())
}

/// What a slow exchange waits for: set when a request goes out.
#[derive(Debug, Default)]
pub struct Waiting {
    current: Option<(String, Instant)>,
    shown: bool,
}

impl Waiting {
    /// A request to `url` just went out.
    pub fn sent(&mut self, url: &str) {
        self.current = Some((url.to_owned(), Instant::now()));
    }
}

/// How long an exchange may take before the waiting line appears.
pub const WAIT_BEFORE_SHOWING: Duration = Duration::from_secs(1);

/// Rewrites one stderr line, `waiting for URL (N s)`, while the current exchange has taken at
/// least `after`; runs until dropped. The caller clears the line with [`clear_waiting`].
pub async fn show_waiting(
    waiting: &RefCell<Waiting>,
    err: &RefCell<&mut dyn Write>,
    after: Duration,
) -> std::convert::Infallible {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut w = waiting.borrow_mut();
        let Some((url, since)) = &w.current else { continue };
        let waited = since.elapsed();
        if waited < after {
            continue;
        }
        let line = format!("\r\x1b[2Kwaiting for {url} ({} s)", waited.as_secs());
        let mut err = err.borrow_mut();
        let _ = err.write_all(line.as_bytes()).and_then(|()| err.flush());
        w.shown = true;
    }
}

/// Erases the waiting line, if one was shown.
pub fn clear_waiting(waiting: &RefCell<Waiting>, err: &mut dyn Write) {
    if waiting.borrow().shown {
        let _ = err.write_all(b"\r\x1b[2K").and_then(|()| err.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("aa bb cc dd", Some(5)), ["aa bb", "cc dd"]);
        assert_eq!(wrap("a https://example.com/long b", Some(5)), ["a", "https://example.com/long", "b"]);
        assert_eq!(wrap("one line", None), ["one line"]);
    }

    #[test]
    fn wrapped_lines_fit_after_their_prefix() {
        let mut out = Vec::new();
        let text = "word ".repeat(20);
        write_wrapped(&mut out, text.trim_end(), Some(30), ("  ! ", "    ", 4)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().all(|l| l.chars().count() <= 30), "{text}");
        assert!(text.starts_with("  ! word") && text.lines().skip(1).all(|l| l.starts_with("    word")), "{text}");
    }
}
