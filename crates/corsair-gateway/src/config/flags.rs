//! The command line's settings ([`Flags`]) and how they layer over the environment, by type:
//! the policy's as core's [`Overrides`], the gateway's own (`--listen`, `--upstream`) over
//! `CORSAIR_LISTEN` and `CORSAIR_UPSTREAM`. Every value says where it came from, so its errors
//! name the flag or the variable.

use std::path::PathBuf;

use corsair_core::policy_file::{split_list, Given, Overrides};

/// Command-line flags; each overrides the key of the same meaning.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--upstream`.
    pub upstream: Option<String>,
    /// `--open`.
    pub open: bool,
    /// `--allow-target`, repeated.
    pub allow_targets: Vec<String>,
    /// `--allow-origin`, repeated; replaces the file's or the dev profile's origins.
    pub allow_origins: Vec<String>,
    /// `--allow-methods` (comma-separated).
    pub allow_methods: Option<String>,
    /// `--allow-headers` (comma-separated).
    pub allow_headers: Option<String>,
    /// `--allow-credentials`.
    pub allow_credentials: bool,
    /// `--expose-headers` (comma-separated).
    pub expose_headers: Option<String>,
    /// `--max-age`.
    pub max_age: Option<u32>,
    /// `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// `--report-only`.
    pub report_only: bool,
    /// `--debug-header`.
    pub debug_header: bool,
    /// `--resolve HOST:PORT:ADDR` (`*` for any port), repeated; the older `HOST:ADDR` means
    /// `HOST:*:ADDR`.
    pub resolve: Vec<String>,
}

impl Flags {
    /// The flags that set policy keys, each naming its flag. List flags are comma-separated,
    /// like the variables; `--allow-origin` is repeated (and may hold commas too).
    pub(super) fn policy_overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        if !self.allow_origins.is_empty() {
            let origins = self.allow_origins.iter().flat_map(|o| split_list(o)).collect();
            o.allow_origins = Some(Given::flag("--allow-origin", origins));
        }
        let list = |flag: &str, v: &Option<String>| v.as_deref().map(|v| Given::flag(flag, split_list(v)));
        o.allow_methods = list("--allow-methods", &self.allow_methods);
        o.allow_headers = list("--allow-headers", &self.allow_headers);
        o.expose_headers = list("--expose-headers", &self.expose_headers);
        if self.allow_credentials {
            o.allow_credentials = Some(Given::flag("--allow-credentials", true));
        }
        o.max_age = self.max_age.map(|s| Given::flag("--max-age", i64::from(s)));
        o
    }
}

/// A gateway setting from its flag, else from its variable.
pub(super) fn flag_or_env(
    flag: &Option<String>,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    variable: &str,
) -> Option<Given<String>> {
    match flag {
        Some(v) => Some(Given::flag(name, v.clone())),
        None => env(variable).map(|v| Given::env(variable, v)),
    }
}
