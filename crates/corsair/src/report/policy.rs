//! `corsair policy check`: one report, written as JSON (`--format json`) or as text (the
//! normalised policy on stdout, warnings and errors on stderr).

use std::io::{self, Write};

use corsair_core::{ConfigErrors, Located, Policy};
use serde::Serialize;

use crate::advice::{self, Advised};

/// The result of checking one file.
#[derive(Debug, Serialize)]
pub struct PolicyReport {
    /// True when the file, its profile and the environment make a valid policy.
    pub ok: bool,
    /// The file as named on the command line.
    pub file: String,
    /// The profile applied (`--profile`, else `CORSAIR_PROFILE`).
    pub profile: Option<String>,
    /// The `CORSAIR_*` variables that overrode a key.
    pub overrides: Vec<String>,
    /// Every error, in order.
    pub errors: Vec<PolicyError>,
    /// Notes on the environment, then the policy's warnings.
    pub warnings: Vec<String>,
    /// The normalised policy as TOML, when ok.
    pub policy: Option<String>,
}

/// One error: `file` is the location's source (the file name, or `environment variable
/// CORSAIR_...`); `line` and `column` are null when the error has no position (unknown profile,
/// environment); `key` is the policy key, null for whole-file errors.
#[derive(Debug, Serialize)]
pub struct PolicyError {
    /// Where it came from.
    pub file: Option<String>,
    /// 1-based, when known.
    pub line: Option<usize>,
    /// 1-based, when known.
    pub column: Option<usize>,
    /// The key, when the error is about one.
    pub key: Option<&'static str>,
    /// What is wrong and what to write instead, with the CLI's advice.
    pub message: String,
    /// `FILE:LINE:COL: message`, with the advice, as the text output prints it.
    #[serde(skip)]
    pub located: String,
}

impl PolicyReport {
    /// The report of `file`: the policy or every error, with the environment's notes first.
    pub fn new(
        file: String,
        profile: Option<String>,
        overrides: Vec<String>,
        result: &Result<Policy, ConfigErrors>,
        notes: &[String],
    ) -> PolicyReport {
        let (mut warnings, policy, errors) = match result {
            Ok(policy) => (policy.warnings(), Some(policy.to_toml()), Vec::new()),
            Err(errors) => (Vec::new(), None, errors.iter().map(PolicyError::of).collect()),
        };
        warnings.splice(0..0, notes.iter().cloned());
        PolicyReport { ok: result.is_ok(), file, profile, overrides, errors, warnings, policy }
    }

    /// The text form: on success the policy as TOML after a `#` header on `out`, warnings on
    /// `err`; on failure every error and a count on `err`.
    pub fn write_text(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        match &self.policy {
            Some(toml) => {
                write!(out, "# corsair policy check: {}", self.file)?;
                if let Some(profile) = &self.profile {
                    write!(out, " (profile {profile})")?;
                }
                writeln!(out, ": ok")?;
                if !self.overrides.is_empty() {
                    writeln!(out, "# environment overrides: {}", self.overrides.join(", "))?;
                }
                out.write_all(toml.as_bytes())?;
                out.flush()?;
                for warning in &self.warnings {
                    writeln!(err, "warning: {warning}")?;
                }
            }
            None => {
                for note in &self.warnings {
                    writeln!(err, "warning: {note}")?;
                }
                for e in &self.errors {
                    writeln!(err, "error: {}", e.located)?;
                }
                let n = self.errors.len();
                writeln!(err, "corsair: {n} {} in {}", if n == 1 { "error" } else { "errors" }, self.file)?;
            }
        }
        Ok(())
    }
}

impl PolicyError {
    fn of(located: &Located) -> PolicyError {
        let (file, line, column) = match &located.location {
            Some(loc) if loc.line > 0 => (Some(loc.source.clone()), Some(loc.line), Some(loc.column)),
            Some(loc) => (Some(loc.source.clone()), None, None),
            None => (None, None, None),
        };
        let key = located.error.field().key();
        PolicyError {
            file,
            line,
            column,
            key: (!key.is_empty()).then_some(key),
            message: advice::message(&located.error),
            located: Advised(located).to_string(),
        }
    }
}
