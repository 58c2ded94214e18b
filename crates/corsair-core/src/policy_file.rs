//! Policy files: the same policy as the builder, in TOML, with per-environment profiles and
//! environment-variable overrides. Errors point at file, line and column.
//!
//! Keys at the top of the file are the base; `[profiles.NAME]` tables override them key by key;
//! `CORSAIR_*` variables override both (lists comma-separated). The profile comes from the caller
//! (`--profile`), else from `CORSAIR_PROFILE`.
//!
//! ```
//! use corsair_core::PolicyFile;
//!
//! let text = r#"
//! allow_methods = ["GET", "PUT"]
//! [profiles.dev]
//! allow_origins = ["http://localhost:*"]
//! [profiles.prod]
//! allow_origins = ["https://app.example.com"]
//! allow_credentials = true
//! "#;
//! let file = PolicyFile::parse("cors.toml", text).unwrap();
//! let prod = file.policy(Some("prod"), |_| None).unwrap();
//! assert!(prod.allows_credentials());
//!
//! let env = |k: &str| (k == "CORSAIR_ALLOW_ORIGINS").then(|| "https://a.example, https://b.example".to_owned());
//! let overridden = file.policy(Some("prod"), env).unwrap();
//! assert_eq!(overridden.origins().len(), 2);
//!
//! let err = PolicyFile::parse("cors.toml", "allow_origins = [\"https://a.example/\"]").unwrap()
//!     .policy(None, |_| None).unwrap_err();
//! assert!(err.to_string().starts_with("error: cors.toml:1:18: "));
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::config_error::{ConfigError, ConfigErrors, Location};
use crate::origin::escape;
use crate::policy::{Policy, PolicyBuilder};

/// Largest policy file read (a policy is a few hundred bytes; this is room for 1000s of origins).
pub const MAX_POLICY_FILE_LEN: usize = 4 << 20;

type List = Spanned<Vec<Spanned<String>>>;

/// One table of policy keys: the file's top level, or a profile. Every key is optional so
/// profiles can override a few. Public so other configs (the gateway's routes) embed it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTable {
    /// Origins and patterns.
    pub allow_origins: Option<List>,
    /// Methods (`*` for any).
    pub allow_methods: Option<List>,
    /// Request header names (`*` for any).
    pub allow_headers: Option<List>,
    /// Response header names scripts may read.
    pub expose_headers: Option<List>,
    /// Allow credentialed requests.
    pub allow_credentials: Option<Spanned<bool>>,
    /// Preflight cache lifetime in seconds.
    pub max_age: Option<Spanned<i64>>,
    /// Answer Private Network Access preflights.
    pub allow_private_network: Option<Spanned<bool>>,
    /// Send preflights on to the application.
    pub forward_preflights: Option<Spanned<bool>>,
    /// `omit-headers`, `reject-preflight` or `reject-all`.
    pub refusal: Option<Spanned<String>>,
    /// Status for refusals (4xx/5xx).
    pub refusal_status: Option<Spanned<i64>>,
    /// Status for allowed preflights (2xx).
    pub preflight_status: Option<Spanned<i64>>,
    /// Accept `null` origins.
    pub dangerously_allow_null: Option<Spanned<bool>>,
    /// Accept plain-http origins with credentials.
    pub dangerously_allow_insecure_origins: Option<Spanned<bool>>,
    /// Named profiles (top level only).
    pub profiles: Option<BTreeMap<String, Spanned<PolicyTable>>>,
    /// The `[proxy]` table: `corsair proxy`'s settings (corsair-gateway reads them from the same
    /// text), so one file holds a policy and the gateway around it. Not read here.
    pub proxy: Option<serde::de::IgnoredAny>,
}

/// A parsed policy file; choose a profile with [`PolicyFile::policy`].
#[derive(Clone, Debug)]
pub struct PolicyFile {
    name: String,
    text: String,
    table: PolicyTable,
}

/// Where one resolved value came from.
#[derive(Clone, Debug)]
enum Origin {
    Span(Range<usize>),
    Env(&'static str),
}

/// The merged keys, each with where it came from, before validation.
#[derive(Default)]
struct Resolved {
    builder: PolicyBuilder,
    lists: BTreeMap<&'static str, (Origin, Vec<Origin>)>,
    keys: BTreeMap<&'static str, Origin>,
}

impl PolicyFile {
    /// Parses `text`; `name` is what error locations call the file.
    pub fn parse(name: &str, text: &str) -> Result<PolicyFile, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        if text.len() > MAX_POLICY_FILE_LEN {
            errors.push_at(
                ConfigError::Syntax {
                    message: format!(
                        "the file is {} bytes; policy files are at most {MAX_POLICY_FILE_LEN}",
                        text.len()
                    ),
                },
                Some(Location { source: name.to_owned(), line: 1, column: 1 }),
            );
            return Err(errors);
        }
        let table: PolicyTable = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                return Err(ConfigErrors::toml(name, text, &e));
            }
        };
        for (pname, profile) in table.profiles.iter().flatten() {
            if profile.get_ref().profiles.is_some() {
                errors.push_at(
                    ConfigError::Syntax {
                        message: format!("profile `{}` has its own profiles; profiles do not nest", escape(pname)),
                    },
                    Some(locate(name, text, profile.span().start)),
                );
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PolicyFile { name: name.to_owned(), text: text.to_owned(), table })
    }

    /// The profile names the file defines, sorted.
    pub fn profiles(&self) -> Vec<String> {
        self.table.profiles.iter().flatten().map(|(k, _)| k.clone()).collect()
    }

    /// Builds the policy for `profile` (or `CORSAIR_PROFILE`, or the top level alone), applying
    /// `CORSAIR_*` overrides read through `env`. Every error at once, each with its location.
    pub fn policy(&self, profile: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Policy, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let env_profile = env("CORSAIR_PROFILE").filter(|p| !p.is_empty());
        let chosen = profile.map(str::to_owned).or(env_profile);
        let mut resolved = Resolved::default();
        resolved.apply(&self.table);
        if let Some(chosen) = &chosen {
            match self.table.profiles.as_ref().and_then(|p| p.get(chosen)) {
                Some(p) => resolved.apply(p.get_ref()),
                None => {
                    errors.push_at(
                        ConfigError::UnknownProfile { name: chosen.clone(), available: self.profiles() },
                        Some(Location { source: self.name.clone(), line: 0, column: 0 }),
                    );
                    return Err(errors);
                }
            }
        } else if self.table.allow_origins.is_none()
            && !self.profiles().is_empty()
            && env("CORSAIR_ALLOW_ORIGINS").is_none()
        {
            errors.push_at(
                ConfigError::Syntax {
                    message: format!(
                        "this file defines profiles ({}) and no top-level allow_origins; choose one with --profile NAME or CORSAIR_PROFILE",
                        self.profiles().iter().map(|p| escape(p)).collect::<Vec<_>>().join(", ")
                    ),
                },
                Some(Location { source: self.name.clone(), line: 0, column: 0 }),
            );
            return Err(errors);
        }
        resolved.apply_env(&env, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let built = resolved.builder.clone().build();
        built.map_err(|errs| {
            let mut located = ConfigErrors::default();
            for e in errs {
                let loc = self.location_of(&resolved, &e.error);
                located.push_at(e.error, loc);
            }
            located
        })
    }

    fn location_of(&self, r: &Resolved, error: &ConfigError) -> Option<Location> {
        let key = error.field().key();
        let origin = match (r.lists.get(key), error.index()) {
            (Some((_, items)), Some(i)) => items.get(i).cloned(),
            (Some((whole, _)), None) => Some(whole.clone()),
            (None, _) => r.keys.get(key).cloned(),
        };
        match origin {
            Some(Origin::Span(s)) => Some(locate(&self.name, &self.text, s.start)),
            Some(Origin::Env(var)) => {
                Some(Location { source: format!("environment variable {var}"), line: 0, column: 0 })
            }
            None => Some(Location { source: self.name.clone(), line: 0, column: 0 }),
        }
    }
}

impl Resolved {
    fn apply(&mut self, t: &PolicyTable) {
        let b = &mut self.builder;
        let lists: [(&'static str, &Option<List>, &mut Vec<String>); 4] = [
            ("allow_origins", &t.allow_origins, &mut b.origins),
            ("allow_methods", &t.allow_methods, &mut b.methods),
            ("allow_headers", &t.allow_headers, &mut b.headers),
            ("expose_headers", &t.expose_headers, &mut b.expose),
        ];
        for (key, value, target) in lists {
            if let Some(list) = value {
                *target = list.get_ref().iter().map(|s| s.get_ref().clone()).collect();
                let spans = list.get_ref().iter().map(|s| Origin::Span(s.span())).collect();
                self.lists.insert(key, (Origin::Span(list.span()), spans));
            }
        }
        let mut set_bool = |key: &'static str, v: &Option<Spanned<bool>>, target: &mut bool| {
            if let Some(v) = v {
                *target = *v.get_ref();
                self.keys.insert(key, Origin::Span(v.span()));
            }
        };
        set_bool("allow_credentials", &t.allow_credentials, &mut b.credentials);
        set_bool("allow_private_network", &t.allow_private_network, &mut b.allow_private_network);
        set_bool("forward_preflights", &t.forward_preflights, &mut b.forward_preflights);
        set_bool("dangerously_allow_null", &t.dangerously_allow_null, &mut b.dangerously_allow_null);
        set_bool(
            "dangerously_allow_insecure_origins",
            &t.dangerously_allow_insecure_origins,
            &mut b.dangerously_allow_insecure_origins,
        );
        if let Some(v) = &t.max_age {
            b.max_age = Some(*v.get_ref());
            self.keys.insert("max_age", Origin::Span(v.span()));
        }
        let ints = [
            ("refusal_status", &t.refusal_status, &mut b.refusal_status),
            ("preflight_status", &t.preflight_status, &mut b.preflight_status),
        ];
        for (key, v, target) in ints {
            if let Some(v) = v {
                *target = *v.get_ref();
                self.keys.insert(key, Origin::Span(v.span()));
            }
        }
        if let Some(v) = &t.refusal {
            b.refusal = v.get_ref().clone();
            self.keys.insert("refusal", Origin::Span(v.span()));
        }
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>, errors: &mut ConfigErrors) {
        let b = &mut self.builder;
        let lists: [(&'static str, &'static str, &mut Vec<String>); 4] = [
            ("allow_origins", "CORSAIR_ALLOW_ORIGINS", &mut b.origins),
            ("allow_methods", "CORSAIR_ALLOW_METHODS", &mut b.methods),
            ("allow_headers", "CORSAIR_ALLOW_HEADERS", &mut b.headers),
            ("expose_headers", "CORSAIR_EXPOSE_HEADERS", &mut b.expose),
        ];
        for (key, var, target) in lists {
            if let Some(v) = env(var) {
                *target = v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
                let items = target.iter().map(|_| Origin::Env(var)).collect();
                self.lists.insert(key, (Origin::Env(var), items));
            }
        }
        let bools: [(&'static str, &'static str, &mut bool); 5] = [
            ("allow_credentials", "CORSAIR_ALLOW_CREDENTIALS", &mut b.credentials),
            ("allow_private_network", "CORSAIR_ALLOW_PRIVATE_NETWORK", &mut b.allow_private_network),
            ("forward_preflights", "CORSAIR_FORWARD_PREFLIGHTS", &mut b.forward_preflights),
            ("dangerously_allow_null", "CORSAIR_DANGEROUSLY_ALLOW_NULL", &mut b.dangerously_allow_null),
            (
                "dangerously_allow_insecure_origins",
                "CORSAIR_DANGEROUSLY_ALLOW_INSECURE_ORIGINS",
                &mut b.dangerously_allow_insecure_origins,
            ),
        ];
        for (key, var, target) in bools {
            if let Some(v) = env(var) {
                match v.trim() {
                    "true" | "1" => *target = true,
                    "false" | "0" => *target = false,
                    other => errors.push_at(
                        ConfigError::InvalidEnvironment {
                            variable: var.to_owned(),
                            message: format!(
                                "`{}` is not a boolean; write true or false",
                                crate::origin::escape(other)
                            ),
                        },
                        Some(Location { source: format!("environment variable {var}"), line: 0, column: 0 }),
                    ),
                }
                self.keys.insert(key, Origin::Env(var));
            }
        }
        let ints: [(&'static str, &'static str); 3] = [
            ("max_age", "CORSAIR_MAX_AGE"),
            ("refusal_status", "CORSAIR_REFUSAL_STATUS"),
            ("preflight_status", "CORSAIR_PREFLIGHT_STATUS"),
        ];
        for (key, var) in ints {
            let Some(v) = env(var) else { continue };
            self.keys.insert(key, Origin::Env(var));
            let Ok(n) = v.trim().parse::<i64>() else {
                errors.push_at(
                    ConfigError::InvalidEnvironment {
                        variable: var.to_owned(),
                        message: format!("`{}` is not a whole number", crate::origin::escape(&v)),
                    },
                    Some(Location { source: format!("environment variable {var}"), line: 0, column: 0 }),
                );
                continue;
            };
            match key {
                "max_age" => b.max_age = Some(n),
                "refusal_status" => b.refusal_status = n,
                _ => b.preflight_status = n,
            }
        }
        if let Some(v) = env("CORSAIR_REFUSAL") {
            b.refusal = v.trim().to_owned();
            self.keys.insert("refusal", Origin::Env("CORSAIR_REFUSAL"));
        }
    }
}

fn locate(name: &str, text: &str, at: usize) -> Location {
    Location::in_text(name, text, at)
}

impl ConfigErrors {
    /// A TOML parse error of file `name` as one located [`ConfigError::Syntax`], with our hint
    /// for the usual mistakes; other readers of the same file (the gateway's `[proxy]` table)
    /// report theirs the same way.
    pub fn toml(name: &str, text: &str, error: &toml::de::Error) -> ConfigErrors {
        let mut errors = ConfigErrors::default();
        let at = error.span().map_or(0, |s| s.start);
        errors.push_at(ConfigError::Syntax { message: syntax_message(error.message()) }, Some(locate(name, text, at)));
        errors
    }
}

/// The TOML parser's message, with a hint for the mistakes people make.
fn syntax_message(msg: &str) -> String {
    // One line, and escaped: the parser quotes keys from the file, which may hold terminal
    // control sequences.
    let lines: Vec<&str> = msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let msg = escape(&lines.join("; "));
    if msg.contains("expected a sequence") {
        format!("{msg}; lists are written in brackets, e.g. allow_origins = [\"https://app.example.com\"]")
    } else if msg.contains("unknown field") {
        format!("{msg} (see `corsair policy check --help` for the keys)")
    } else {
        msg
    }
}

#[cfg(test)]
mod tests;
