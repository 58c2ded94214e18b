//! Policy files: the same policy as the builder, in TOML, with per-environment profiles and
//! environment-variable overrides. Errors point at file, line and column.
//!
//! Keys at the top of the file are the base; `[profiles.NAME]` tables override them key by key;
//! `CORSAIR_*` variables override both (lists comma-separated). The profile comes from the caller
//! (`--profile`), else from `CORSAIR_PROFILE`. A shell with flags of the same meaning gives them
//! as [`Override`]s from the flag ([`PolicyFile::policy_with`]), so errors name the flag.
//!
//! Before serde reads the file, its shape is checked ([`Key`], [`Kind`]): every unknown key (with
//! the key meant, when one is close) and every value of the wrong kind, at once and in the
//! file's words.
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
//!
//! // A shell's flag, given as the override of the same name, is what its errors name.
//! use corsair_core::Override;
//! let flag = |var: &str| (var == "CORSAIR_MAX_AGE").then(|| Override::flag("--max-age", "100000"));
//! let err = file.policy_with(Some("prod"), flag).unwrap_err();
//! assert!(err.to_string().starts_with("error: flag --max-age: max_age = 100000 is out of range"));
//!
//! // Unknown keys and values of the wrong kind, all at once, in the file's words.
//! let err = PolicyFile::parse("cors.toml", "allow_origin = [\"https://a.example\"]\nmax_age = \"600\"").unwrap_err();
//! assert_eq!(err.len(), 2);
//! assert!(err.to_string().contains("did you mean `allow_origins`?"));
//! assert!(err.to_string().contains("max_age must be a whole number, not a string"));
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::config_error::{ConfigError, ConfigErrors, Location};
use crate::origin::escape;
use crate::policy::{Policy, PolicyBuilder};

mod shape;

pub use shape::{Key, Kind};

/// The policy keys, in a table of `extra` keys more (`profiles`, `proxy`).
macro_rules! policy_keys {
    ($($extra:expr),*) => {
        &[
            Key::new("allow_origins", Kind::Strings),
            Key::new("allow_methods", Kind::Strings),
            Key::new("allow_headers", Kind::Strings),
            Key::new("expose_headers", Kind::Strings),
            Key::new("allow_credentials", Kind::Bool),
            Key::new("max_age", Kind::Integer),
            Key::new("allow_private_network", Kind::Bool),
            Key::new("forward_preflights", Kind::Bool),
            Key::new("refusal", Kind::String),
            Key::new("refusal_status", Kind::Integer),
            Key::new("preflight_status", Kind::Integer),
            Key::new("dangerously_allow_null", Kind::Bool),
            Key::new("dangerously_allow_insecure_origins", Kind::Bool),
            $($extra),*
        ]
    };
}

/// A profile's keys: nested `profiles` get their own error after the shape check.
const PROFILE_KEYS: &[Key] = policy_keys!(Key::new("profiles", Kind::Any), Key::new("proxy", Kind::Any));
/// The top level's keys; `[proxy]` is checked by its reader ([`PolicyFile::parse_with_proxy`]).
/// Public so the file's JSON Schema (corsair-gateway) is built from the table the shape check
/// uses, and cannot miss a key.
pub const TOP_KEYS: &[Key] =
    policy_keys!(Key::new("profiles", Kind::Named(PROFILE_KEYS)), Key::new("proxy", Kind::Any));
const POLICY_HELP: &str = "corsair policy check --help";
const PROXY_HELP: &str = "corsair proxy --help";

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

/// A value that replaces a key of the file, and where it came from, so that an error about it
/// names what the user wrote: `environment variable CORSAIR_MAX_AGE`, or a flag (`--max-age`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The text, as the `CORSAIR_*` variable would hold it (lists comma-separated).
    pub value: String,
    /// What error locations call its origin.
    pub source: String,
}

impl Override {
    /// The value of environment variable `variable`.
    pub fn env(variable: &str, value: impl Into<String>) -> Override {
        Override { value: value.into(), source: format!("environment variable {variable}") }
    }

    /// The value of a command-line flag such as `--allow-origin`.
    pub fn flag(flag: &str, value: impl Into<String>) -> Override {
        Override { value: value.into(), source: format!("flag {flag}") }
    }

    fn location(&self) -> Location {
        Location { source: self.source.clone(), line: 0, column: 0 }
    }
}

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
    /// An [`Override`]'s source.
    Given(String),
}

/// The merged keys, each with where it came from, before validation.
#[derive(Default)]
struct Resolved {
    builder: PolicyBuilder,
    lists: BTreeMap<&'static str, (Origin, Vec<Origin>)>,
    keys: BTreeMap<&'static str, Origin>,
    /// Lists whose `*` an override removed: (key, the list it replaced, where that was, the
    /// override's source).
    dropped_star: Vec<(&'static str, Vec<String>, Origin, String)>,
}

impl PolicyFile {
    /// Parses `text`; `name` is what error locations call the file. The `[proxy]` tables are
    /// not checked (see [`PolicyFile::parse_with_proxy`]).
    pub fn parse(name: &str, text: &str) -> Result<PolicyFile, ConfigErrors> {
        Self::parse_inner(name, text, None)
    }

    /// Parses `text` like [`PolicyFile::parse`], and checks the `[proxy]` and
    /// `[profiles.NAME.proxy]` tables against `proxy` too, so the gateway's unknown keys and
    /// wrong kinds come with the policy's, all at once and in file order.
    pub fn parse_with_proxy(name: &str, text: &str, proxy: &[Key]) -> Result<PolicyFile, ConfigErrors> {
        Self::parse_inner(name, text, Some(proxy))
    }

    fn parse_inner(name: &str, text: &str, proxy: Option<&[Key]>) -> Result<PolicyFile, ConfigErrors> {
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
        check_shape(name, text, proxy)?;
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
        self.policy_with(profile, |var| env(var).map(|value| Override::env(var, value)))
    }

    /// [`PolicyFile::policy`] with overrides that say where they came from: `overrides` is asked
    /// for each `CORSAIR_*` name and answers with the value and its source (a variable, or a flag
    /// of the same meaning), which errors then name.
    pub fn policy_with(
        &self,
        profile: Option<&str>,
        overrides: impl Fn(&str) -> Option<Override>,
    ) -> Result<Policy, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let given_profile = overrides("CORSAIR_PROFILE").map(|o| o.value).filter(|p| !p.is_empty());
        let chosen = profile.map(str::to_owned).or(given_profile);
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
            && overrides("CORSAIR_ALLOW_ORIGINS").is_none()
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
        resolved.apply_overrides(&overrides, &mut errors);
        // Overrides that cannot be read are left out; the rest is still validated, so every
        // error comes at once.
        match resolved.builder.clone().build() {
            Ok(policy) if errors.is_empty() => {
                Ok(policy.with_notes(resolved.dropped_star.iter().map(|d| self.dropped_star_note(d)).collect()))
            }
            Ok(_) => Err(errors),
            Err(errs) => {
                for e in errs {
                    let loc = self.location_of(&resolved, &e.error);
                    errors.push_at(e.error, loc);
                }
                Err(errors)
            }
        }
    }

    /// The warning for an override that removed `*` from a list.
    fn dropped_star_note(&self, (key, list, from, source): &(&'static str, Vec<String>, Origin, String)) -> String {
        let now = match *key {
            "allow_methods" => "only the methods it lists (and GET, HEAD, POST) are allowed now",
            "allow_headers" => "only the request headers it lists (and the safelisted ones) are allowed now",
            _ => "scripts may read only the response headers it lists (and the safelisted ones) now",
        };
        let was = match from {
            Origin::Span(s) => locate(&self.name, &self.text, s.start).to_string(),
            Origin::Given(source) => source.clone(),
        };
        let quoted: Vec<String> = list.iter().map(|v| format!("{:?}", escape(v))).collect();
        format!(
            "{source} replaces {key} = [{}] ({was}), which has `*`: {now}; add `*` to it to keep allowing any",
            quoted.join(", ")
        )
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
            Some(Origin::Given(source)) => Some(Location { source, line: 0, column: 0 }),
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

    fn apply_overrides(&mut self, overrides: &impl Fn(&str) -> Option<Override>, errors: &mut ConfigErrors) {
        let b = &mut self.builder;
        let lists: [(&'static str, &'static str, &mut Vec<String>); 4] = [
            ("allow_origins", "CORSAIR_ALLOW_ORIGINS", &mut b.origins),
            ("allow_methods", "CORSAIR_ALLOW_METHODS", &mut b.methods),
            ("allow_headers", "CORSAIR_ALLOW_HEADERS", &mut b.headers),
            ("expose_headers", "CORSAIR_EXPOSE_HEADERS", &mut b.expose),
        ];
        for (key, var, target) in lists {
            if let Some(o) = overrides(var) {
                let new: Vec<String> =
                    o.value.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
                let star = |l: &[String]| l.iter().any(|s| s.trim() == "*");
                if key != "allow_origins" && star(target) && !star(&new) {
                    let from = self.lists.get(key).map_or(Origin::Given(String::new()), |(whole, _)| whole.clone());
                    self.dropped_star.push((key, target.clone(), from, o.source.clone()));
                }
                *target = new;
                let items = target.iter().map(|_| Origin::Given(o.source.clone())).collect();
                self.lists.insert(key, (Origin::Given(o.source), items));
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
            if let Some(o) = overrides(var) {
                match o.value.trim() {
                    "true" | "1" => *target = true,
                    "false" | "0" => *target = false,
                    other => errors.push_at(
                        ConfigError::InvalidEnvironment {
                            variable: var.to_owned(),
                            message: format!("`{}` is not a boolean; write true or false", escape(other)),
                        },
                        Some(o.location()),
                    ),
                }
                self.keys.insert(key, Origin::Given(o.source));
            }
        }
        let ints: [(&'static str, &'static str); 3] = [
            ("max_age", "CORSAIR_MAX_AGE"),
            ("refusal_status", "CORSAIR_REFUSAL_STATUS"),
            ("preflight_status", "CORSAIR_PREFLIGHT_STATUS"),
        ];
        for (key, var) in ints {
            let Some(o) = overrides(var) else { continue };
            let Ok(n) = o.value.trim().parse::<i64>() else {
                errors.push_at(
                    ConfigError::InvalidEnvironment {
                        variable: var.to_owned(),
                        message: format!("`{}` is not a whole number", escape(&o.value)),
                    },
                    Some(o.location()),
                );
                self.keys.insert(key, Origin::Given(o.source));
                continue;
            };
            self.keys.insert(key, Origin::Given(o.source));
            match key {
                "max_age" => b.max_age = Some(n),
                "refusal_status" => b.refusal_status = n,
                _ => b.preflight_status = n,
            }
        }
        if let Some(o) = overrides("CORSAIR_REFUSAL") {
            b.refusal = o.value.trim().to_owned();
            self.keys.insert("refusal", Origin::Given(o.source));
        }
    }
}

/// Checks the names of the `CORSAIR_*` variables set in the environment against those corsair
/// reads ([`VARIABLES`] and `also_read`, e.g. the gateway's `CORSAIR_LISTEN`). A name close to
/// one of them (a misspelling, or the wrong case) is an error: the override it was meant to be
/// does nothing. Any other `CORSAIR_` name comes back as a warning, since other tools may share
/// the prefix.
pub fn check_variables<'a>(
    names: impl IntoIterator<Item = &'a str>,
    also_read: &[&str],
) -> (ConfigErrors, Vec<String>) {
    let mut errors = ConfigErrors::default();
    let mut warnings = Vec::new();
    let known = || VARIABLES.iter().chain(also_read).copied();
    for name in names {
        let upper = name.to_ascii_uppercase();
        let Some(stem) = upper.strip_prefix("CORSAIR_") else { continue };
        if known().any(|k| k == name) {
            continue;
        }
        let stems = known().filter_map(|k| k.strip_prefix("CORSAIR_"));
        match shape::did_you_mean(stem, stems) {
            Some(meant) => errors.push_at(
                ConfigError::UnknownVariable { variable: name.to_owned(), suggestion: format!("CORSAIR_{meant}") },
                Some(Location { source: format!("environment variable {}", escape(name)), line: 0, column: 0 }),
            ),
            None => {
                warnings.push(format!("environment variable {} is not one corsair reads; it is ignored", escape(name)))
            }
        }
    }
    (errors, warnings)
}

/// Checks the file's keys and the kinds of their values ([`shape`]); with `proxy`, the
/// `[proxy]` tables too. A file that is not TOML gets its syntax errors instead.
fn check_shape(name: &str, text: &str, proxy: Option<&[Key]>) -> Result<(), ConfigErrors> {
    let (doc, syntax) = toml::de::DeTable::parse_recoverable(text);
    let mut found: Vec<(usize, ConfigError)> = Vec::new();
    // One syntax error per line: the parser's recovery from one mistake (an unclosed list)
    // reports several on the line where it recovers; "not closed" says what happened.
    let newlines: Vec<usize> =
        if syntax.is_empty() { Vec::new() } else { text.match_indices('\n').map(|(i, _)| i).collect() };
    let mut by_line: BTreeMap<usize, usize> = BTreeMap::new();
    for e in &syntax {
        let (at, written) = token_around(text, e.span().unwrap_or_default());
        let error = ConfigError::Syntax { message: syntax_message_at(e.message(), written) };
        let unclosed = e.message().starts_with("unclosed");
        match by_line.get(&newlines.partition_point(|&n| n < at)) {
            Some(&i) if unclosed => found[i] = (at, error),
            Some(_) => {}
            None => {
                by_line.insert(newlines.partition_point(|&n| n < at), found.len());
                found.push((at, error));
            }
        }
    }
    let top = shape::Place { path: "", help: POLICY_HELP };
    shape::check_table(text, doc.get_ref(), TOP_KEYS, top, &mut found);
    if let Some(proxy) = proxy {
        let tables = std::iter::once(("proxy".to_owned(), doc.get_ref().get("proxy"))).chain(
            doc.get_ref()
                .get("profiles")
                .and_then(|p| p.get_ref().as_table())
                .into_iter()
                .flat_map(|p| p.iter())
                .filter_map(|(n, t)| {
                    Some((format!("profiles.{}.proxy", n.get_ref()), t.get_ref().as_table()?.get("proxy")))
                }),
        );
        for (path, table) in tables {
            let Some(table) = table else { continue };
            let key = Key::new("proxy", Kind::Table(&[]));
            match table.get_ref() {
                toml::de::DeValue::Table(t) => {
                    shape::check_table(text, t, proxy, shape::Place { path: &path, help: PROXY_HELP }, &mut found)
                }
                _ => shape::check_value(text, table, &key, shape::Place { path: &path, help: PROXY_HELP }, &mut found),
            }
        }
    }
    if !syntax.is_empty() {
        // What the parser recovered around a syntax error may hold values it made up, but the
        // keys are the file's: their errors are real, their kinds may not be.
        found.retain(|(_, e)| !matches!(e, ConfigError::WrongType { .. }));
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(shape::located(name, text, found))
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
    syntax_message_at(msg, "")
}

/// [`syntax_message`] for the parser's own errors, in the file's words where we know the
/// mistake (the parser speaks of floats and literal strings).
fn syntax_message_at(msg: &str, written: &str) -> String {
    // One line, and escaped: the parser quotes keys from the file, which may hold terminal
    // control sequences.
    let lines: Vec<&str> = msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let msg = escape(&lines.join("; "));
    let tok = escape(written);
    let numeric = ["invalid float", "invalid integer", "invalid mantissa", "invalid fraction", "invalid exponent"];
    if msg.starts_with("string values must be quoted") && !tok.is_empty() {
        format!("`{tok}` is not a value: text goes in quotes (\"{tok}\"), numbers are plain digits (600), and true or false are written bare")
    } else if numeric.iter().any(|m| msg.starts_with(m)) && !tok.is_empty() {
        format!("`{tok}` is not a number: text goes in quotes (\"{tok}\"), and a whole number is plain digits (600)")
    } else if msg.starts_with("unexpected leading zero") {
        format!("`{tok}`: numbers do not start with 0; write it without the leading zeros, or in quotes if it is text")
    } else if msg.starts_with("duplicate key") {
        format!("`{tok}` is set twice in the same table; keep one")
    } else if msg.starts_with("unclosed array") {
        "a list is not closed: end it with `]`".to_owned()
    } else if msg.starts_with("missing comma between array elements") {
        "a comma is missing between two entries of this list".to_owned()
    } else if msg.contains("expected a sequence") {
        format!("{msg}; lists are written in brackets, e.g. allow_origins = [\"https://app.example.com\"]")
    } else if msg.contains("unknown field") {
        format!("{msg} (see `corsair policy check --help` for the keys)")
    } else {
        msg
    }
}

/// The whole token around `span` (the parser may point into its middle), up to white space,
/// `=`, `,`, brackets or a comment on either side, and where it starts.
fn token_around(text: &str, span: Range<usize>) -> (usize, &str) {
    let end_of = |c: char| c.is_whitespace() || "=,[]{}#\"'".contains(c);
    let Some(before) = text.get(..span.start) else { return (span.start.min(text.len()), "") };
    let start = before.rfind(end_of).map_or(0, |i| i + before[i..].chars().next().map_or(1, char::len_utf8));
    let end = text[span.start..].find(end_of).map_or(text.len(), |i| span.start + i);
    (start, &text[start..end])
}

#[cfg(test)]
mod tests;
