//! Colour for terminals only: plain text when stdout is not a terminal or `NO_COLOR` is set.

use std::io::IsTerminal;

/// Whether to paint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    pub fn for_stdout() -> Style {
        Style { colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold.
    pub fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    /// Dim.
    pub fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
    /// Red (blocked, errors).
    pub fn red(self, t: &str) -> String {
        self.paint("1;31", t)
    }
    /// Green (allowed, headers to add).
    pub fn green(self, t: &str) -> String {
        self.paint("1;32", t)
    }
    /// Yellow (warnings).
    pub fn yellow(self, t: &str) -> String {
        self.paint("1;33", t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_adds_no_escape_codes() {
        let s = Style { colour: false };
        assert_eq!(s.red("x") + &s.bold("y"), "xy");
        let c = Style { colour: true };
        assert_eq!(c.red("x"), "\x1b[1;31mx\x1b[0m");
    }
}
