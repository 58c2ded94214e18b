//! Policy keys set outside the file, typed: what a shell's flags and the `CORSAIR_*` variables
//! say, each value with where it came from, so that an error about it names what the user wrote
//! (`flag --max-age`, `environment variable CORSAIR_MAX_AGE`) and not a key of the file.
//!
//! A shell layers them by type ([`Overrides::or`]: its flags over the environment) and hands the
//! result to [`PolicyFile::policy_with`](super::PolicyFile::policy_with); no shell has to pretend
//! its flags are variables.

use crate::config_error::{ConfigError, ConfigErrors, Location};
use crate::origin::escape;

/// One value set outside the file, and where: what error locations and warnings call its origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Given<T> {
    /// The value, already read into the key's type.
    pub value: T,
    /// Where it came from, as errors name it: `flag --max-age`, `environment variable
    /// CORSAIR_MAX_AGE`, `open mode`.
    pub source: String,
}

impl<T> Given<T> {
    /// `value`, from `source` (named as errors should name it).
    pub fn new(value: T, source: impl Into<String>) -> Given<T> {
        Given { value, source: source.into() }
    }

    /// `value`, from command-line flag `flag` (such as `--allow-origin`).
    pub fn flag(flag: &str, value: T) -> Given<T> {
        Given::new(value, format!("flag {flag}"))
    }

    /// `value`, from environment variable `variable`.
    pub fn env(variable: &str, value: T) -> Given<T> {
        Given::new(value, format!("environment variable {variable}"))
    }
}

/// Values that replace the policy keys of the same name, whichever profile is chosen: one field
/// per key, as the builder holds it (lists as written, numbers before their range check, the
/// refusal style by name), so the file's rules check them and their errors name their source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Overrides {
    /// `allow_origins`.
    pub allow_origins: Option<Given<Vec<String>>>,
    /// `allow_methods`.
    pub allow_methods: Option<Given<Vec<String>>>,
    /// `allow_headers`.
    pub allow_headers: Option<Given<Vec<String>>>,
    /// `expose_headers`.
    pub expose_headers: Option<Given<Vec<String>>>,
    /// `allow_credentials`.
    pub allow_credentials: Option<Given<bool>>,
    /// `allow_private_network`.
    pub allow_private_network: Option<Given<bool>>,
    /// `forward_preflights`.
    pub forward_preflights: Option<Given<bool>>,
    /// `dangerously_allow_null`.
    pub dangerously_allow_null: Option<Given<bool>>,
    /// `dangerously_allow_insecure_origins`.
    pub dangerously_allow_insecure_origins: Option<Given<bool>>,
    /// `max_age`, in seconds (range-checked with the rest of the policy).
    pub max_age: Option<Given<i64>>,
    /// `refusal_status`.
    pub refusal_status: Option<Given<i64>>,
    /// `preflight_status`.
    pub preflight_status: Option<Given<i64>>,
    /// `refusal`, by name (`omit-headers`, `reject-preflight`, `reject-all`).
    pub refusal: Option<Given<String>>,
}

/// The `CORSAIR_*` variables a policy file reads, `CORSAIR_PROFILE` included.
pub const VARIABLES: &[&str] = &[
    "CORSAIR_PROFILE",
    "CORSAIR_ALLOW_ORIGINS",
    "CORSAIR_ALLOW_METHODS",
    "CORSAIR_ALLOW_HEADERS",
    "CORSAIR_EXPOSE_HEADERS",
    "CORSAIR_ALLOW_CREDENTIALS",
    "CORSAIR_ALLOW_PRIVATE_NETWORK",
    "CORSAIR_FORWARD_PREFLIGHTS",
    "CORSAIR_DANGEROUSLY_ALLOW_NULL",
    "CORSAIR_DANGEROUSLY_ALLOW_INSECURE_ORIGINS",
    "CORSAIR_MAX_AGE",
    "CORSAIR_REFUSAL_STATUS",
    "CORSAIR_PREFLIGHT_STATUS",
    "CORSAIR_REFUSAL",
];

/// A comma-separated list as a variable or a list flag holds it: entries trimmed, empty ones
/// dropped.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

impl Overrides {
    /// The `CORSAIR_*` overrides `env` holds (lists comma-separated, booleans `true`/`false`/`1`/
    /// `0`), and an error for each value that cannot be read, located at its variable.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> (Overrides, ConfigErrors) {
        let mut errors = ConfigErrors::default();
        let list = |var: &str| env(var).map(|v| Given::env(var, split_list(&v)));
        let mut o = Overrides {
            allow_origins: list("CORSAIR_ALLOW_ORIGINS"),
            allow_methods: list("CORSAIR_ALLOW_METHODS"),
            allow_headers: list("CORSAIR_ALLOW_HEADERS"),
            expose_headers: list("CORSAIR_EXPOSE_HEADERS"),
            refusal: env("CORSAIR_REFUSAL").map(|v| Given::env("CORSAIR_REFUSAL", v.trim().to_owned())),
            ..Overrides::default()
        };
        let mut boolean = |var: &str| {
            let text = env(var)?;
            match text.trim() {
                "true" | "1" => Some(Given::env(var, true)),
                "false" | "0" => Some(Given::env(var, false)),
                other => {
                    let message = format!("`{}` is not a boolean; write true or false", escape(other));
                    invalid(&mut errors, var, message);
                    None
                }
            }
        };
        o.allow_credentials = boolean("CORSAIR_ALLOW_CREDENTIALS");
        o.allow_private_network = boolean("CORSAIR_ALLOW_PRIVATE_NETWORK");
        o.forward_preflights = boolean("CORSAIR_FORWARD_PREFLIGHTS");
        o.dangerously_allow_null = boolean("CORSAIR_DANGEROUSLY_ALLOW_NULL");
        o.dangerously_allow_insecure_origins = boolean("CORSAIR_DANGEROUSLY_ALLOW_INSECURE_ORIGINS");
        let mut number = |var: &str| {
            let text = env(var)?;
            match text.trim().parse::<i64>() {
                Ok(n) => Some(Given::env(var, n)),
                Err(_) => {
                    invalid(&mut errors, var, format!("`{}` is not a whole number", escape(&text)));
                    None
                }
            }
        };
        o.max_age = number("CORSAIR_MAX_AGE");
        o.refusal_status = number("CORSAIR_REFUSAL_STATUS");
        o.preflight_status = number("CORSAIR_PREFLIGHT_STATUS");
        (o, errors)
    }

    /// `self`, with each key it leaves unset taken from `below`: a shell's flags over its
    /// environment (`flags.or(env)`).
    #[must_use]
    pub fn or(self, below: Overrides) -> Overrides {
        Overrides {
            allow_origins: self.allow_origins.or(below.allow_origins),
            allow_methods: self.allow_methods.or(below.allow_methods),
            allow_headers: self.allow_headers.or(below.allow_headers),
            expose_headers: self.expose_headers.or(below.expose_headers),
            allow_credentials: self.allow_credentials.or(below.allow_credentials),
            allow_private_network: self.allow_private_network.or(below.allow_private_network),
            forward_preflights: self.forward_preflights.or(below.forward_preflights),
            dangerously_allow_null: self.dangerously_allow_null.or(below.dangerously_allow_null),
            dangerously_allow_insecure_origins: self
                .dangerously_allow_insecure_origins
                .or(below.dangerously_allow_insecure_origins),
            max_age: self.max_age.or(below.max_age),
            refusal_status: self.refusal_status.or(below.refusal_status),
            preflight_status: self.preflight_status.or(below.preflight_status),
            refusal: self.refusal.or(below.refusal),
        }
    }
}

fn invalid(errors: &mut ConfigErrors, variable: &str, message: String) {
    errors.push_at(
        ConfigError::InvalidEnvironment { variable: variable.to_owned(), message },
        Some(Location { source: format!("environment variable {variable}"), line: 0, column: 0 }),
    );
}
