//! What the CLI adds to the libraries' configuration errors: the flag or the command that fixes
//! them. The libraries say what is wrong and what to write in the file; only the CLI knows its
//! flags (`--profile`), its variables and its help pages, so the advice is added here, when an
//! error is printed.

use std::fmt;

use corsair_core::{ConfigError, ConfigErrors, Located};
use corsair_probe::TransportError;

/// The error's text, and the CLI's advice when it has some.
pub(crate) fn message(error: &ConfigError) -> String {
    match advice(error) {
        Some(advice) => format!("{error}{advice}"),
        None => error.to_string(),
    }
}

/// The CLI's words after the library's: how to choose a profile, where the keys are listed.
fn advice(error: &ConfigError) -> Option<&'static str> {
    match error {
        ConfigError::ProfileNeeded { .. } => Some(" with --profile NAME or CORSAIR_PROFILE"),
        ConfigError::UnknownKey { proxy: true, .. } => Some(" (see `corsair proxy --help` for the keys)"),
        ConfigError::UnknownKey { proxy: false, .. } => Some(" (see `corsair policy check --help` for the keys)"),
        _ => None,
    }
}

/// A transport error as `check` and `explain --live` print it: an untrusted certificate points
/// to `--insecure`, which those commands have (the probe library cannot know that).
pub(crate) fn transport(error: &TransportError) -> String {
    if error.is_untrusted_certificate() {
        format!("{error} (a self-signed development server? use --insecure)")
    } else {
        error.to_string()
    }
}

/// One located error as the CLI prints it: `FILE:LINE:COLUMN: message advice`.
pub(crate) struct Advised<'a>(pub(crate) &'a Located);

impl fmt::Display for Advised<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.0.location {
            write!(f, "{location}: ")?;
        }
        f.write_str(&message(&self.0.error))
    }
}

/// Every error, one `error: ` line each, as [`ConfigErrors`] prints them, with the advice.
pub(crate) struct AdvisedAll<'a>(pub(crate) &'a ConfigErrors);

impl fmt::Display for AdvisedAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, located) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {}", Advised(located))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use corsair_core::PolicyFile;

    use super::*;

    #[test]
    fn the_cli_names_its_flag_and_help_where_the_library_names_none() {
        let errors = PolicyFile::parse("cors.toml", "allow_origin = [\"https://a.example\"]\n[proxy]\n").unwrap_err();
        assert_eq!(
            AdvisedAll(&errors).to_string(),
            "error: cors.toml:1:1: unknown key `allow_origin`; did you mean `allow_origins`? (see `corsair policy check --help` for the keys)"
        );
        let file = PolicyFile::parse("cors.toml", "[profiles.dev]\nallow_origins = [\"https://a.example\"]\n").unwrap();
        let errors = file.policy(None, |_| None).unwrap_err();
        let shown = AdvisedAll(&errors).to_string();
        assert!(
            shown.ends_with("no top-level allow_origins; choose one with --profile NAME or CORSAIR_PROFILE"),
            "{shown}"
        );
        assert!(!errors.to_string().contains("--profile"), "the library's own text names no flag");
    }
}
