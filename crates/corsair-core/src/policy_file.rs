//! Policy files: the same policy as the builder, in TOML, with per-environment profiles and
//! environment-variable overrides. Errors point at file, line and column.
//!
//! Keys at the top of the file are the base; `[profiles.NAME]` tables override them key by key;
//! `CORSAIR_*` variables override both (lists comma-separated). The profile comes from the caller,
//! else from `CORSAIR_PROFILE`. A shell with flags of the same meaning layers them over the
//! environment as typed [`Overrides`] ([`PolicyFile::policy_with`]), so errors name the flag.
//!
//! A shell that keeps its own settings in the same file (the gateway's `[proxy]` table) reads
//! the file once, with its table as the type parameter ([`PolicyFile::parse_with_proxy`]).
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
//! // A shell's flag, given as the override of its key, is what its errors name.
//! use corsair_core::policy_file::{Given, Overrides};
//! let mut flags = Overrides::default();
//! flags.max_age = Some(Given::flag("--max-age", 100_000));
//! let (env, _) = Overrides::from_env(|_| None);
//! let err = file.policy_with(Some("prod"), &flags.or(env)).unwrap_err();
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

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use toml::Spanned;

use crate::config_error::{ConfigError, ConfigErrors, Location};
use crate::origin::escape;
use crate::policy::{Policy, PolicyBuilder};

mod overrides;
mod shape;

pub use overrides::{split_list, Given, Overrides, VARIABLES};
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
/// The top level's keys; `[proxy]` is checked with the keys of its reader ([`ProxySection`]).
/// Public so the file's JSON Schema (corsair-gateway) is built from the table the shape check
/// uses, and cannot miss a key.
pub const TOP_KEYS: &[Key] =
    policy_keys!(Key::new("profiles", Kind::Named(PROFILE_KEYS)), Key::new("proxy", Kind::Any));

/// The `[proxy]` table (and each `[profiles.NAME.proxy]`) as a shell reads it from the policy
/// file, so one file holds a policy and the gateway around it, and is parsed once: the policy
/// reader deserialises the whole file, the shell's table included, and hands the table back
/// ([`PolicyFile::proxy`]).
pub trait ProxySection: DeserializeOwned {
    /// The table's keys, checked with the policy's (unknown keys and wrong kinds, all at once and
    /// in file order); `None` leaves the table unchecked, as readers of the policy alone do.
    const KEYS: Option<&'static [Key]>;
}

/// Readers of the policy alone skip the `[proxy]` table.
impl ProxySection for IgnoredAny {
    const KEYS: Option<&'static [Key]> = None;
}

/// Largest policy file read (a policy is a few hundred bytes; this is room for 1000s of origins).
pub const MAX_POLICY_FILE_LEN: usize = 4 << 20;

type List = Spanned<Vec<Spanned<String>>>;
type GivenList = Given<Vec<String>>;

/// One table of policy keys: the file's top level, or a profile. Every key is optional so
/// profiles can override a few.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, bound = "X: DeserializeOwned")]
pub(crate) struct PolicyTable<X> {
    /// Origins and patterns.
    pub(crate) allow_origins: Option<List>,
    /// Methods (`*` for any).
    pub(crate) allow_methods: Option<List>,
    /// Request header names (`*` for any).
    pub(crate) allow_headers: Option<List>,
    /// Response header names scripts may read.
    pub(crate) expose_headers: Option<List>,
    /// Allow credentialed requests.
    pub(crate) allow_credentials: Option<Spanned<bool>>,
    /// Preflight cache lifetime in seconds.
    pub(crate) max_age: Option<Spanned<i64>>,
    /// Answer Private Network Access preflights.
    pub(crate) allow_private_network: Option<Spanned<bool>>,
    /// Send preflights on to the application.
    pub(crate) forward_preflights: Option<Spanned<bool>>,
    /// `omit-headers`, `reject-preflight` or `reject-all`.
    pub(crate) refusal: Option<Spanned<String>>,
    /// Status for refusals (4xx/5xx).
    pub(crate) refusal_status: Option<Spanned<i64>>,
    /// Status for allowed preflights (2xx).
    pub(crate) preflight_status: Option<Spanned<i64>>,
    /// Accept `null` origins.
    pub(crate) dangerously_allow_null: Option<Spanned<bool>>,
    /// Accept plain-http origins with credentials.
    pub(crate) dangerously_allow_insecure_origins: Option<Spanned<bool>>,
    /// Named profiles (top level only).
    pub(crate) profiles: Option<BTreeMap<String, Spanned<PolicyTable<X>>>>,
    /// The `[proxy]` table, as its reader takes it ([`ProxySection`]).
    pub(crate) proxy: Option<X>,
}

/// A parsed policy file; choose a profile with [`PolicyFile::policy`]. `X` is the `[proxy]`
/// table of the shell reading the file ([`PolicyFile::parse_with_proxy`]); readers of the policy
/// alone ([`PolicyFile::parse`]) skip it.
#[derive(Clone, Debug)]
pub struct PolicyFile<X = IgnoredAny> {
    name: String,
    text: String,
    table: PolicyTable<X>,
}

/// Where one resolved value came from.
#[derive(Clone, Debug)]
enum Origin {
    Span(Range<usize>),
    /// An override's source.
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
    /// not read (see [`PolicyFile::parse_with_proxy`]).
    pub fn parse(name: &str, text: &str) -> Result<PolicyFile, ConfigErrors> {
        Self::parse_with_proxy(name, text)
    }
}

impl<X: ProxySection> PolicyFile<X> {
    /// Parses `text` with the shell's `[proxy]` table `X`: the `[proxy]` and
    /// `[profiles.NAME.proxy]` tables are checked against `X::KEYS` too, so their unknown keys and
    /// wrong kinds come with the policy's, all at once and in file order, and read into `X` in
    /// the same pass ([`PolicyFile::proxy`]).
    pub fn parse_with_proxy(name: &str, text: &str) -> Result<PolicyFile<X>, ConfigErrors> {
        Self::parse_inner(name, text, X::KEYS)
    }

    fn parse_inner(name: &str, text: &str, proxy: Option<&[Key]>) -> Result<PolicyFile<X>, ConfigErrors> {
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
        let table: PolicyTable<X> = match toml::from_str(text) {
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
    /// `CORSAIR_*` overrides read through `env` ([`Overrides::from_env`]). Every error at once,
    /// each with its location.
    pub fn policy(&self, profile: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Policy, ConfigErrors> {
        let (overrides, unread) = Overrides::from_env(&env);
        let profile = profile.map(str::to_owned).or_else(|| env("CORSAIR_PROFILE").filter(|p| !p.is_empty()));
        self.build(profile.as_deref(), &overrides, unread)
    }

    /// The `[proxy]` table at the top of the file, as `X` reads it.
    pub fn proxy(&self) -> Option<&X> {
        self.table.proxy.as_ref()
    }

    /// The `[profiles.NAME.proxy]` table of `profile`, which overrides [`PolicyFile::proxy`]
    /// (how is `X`'s business: key by key, for the gateway).
    pub fn profile_proxy(&self, profile: &str) -> Option<&X> {
        self.table.profiles.as_ref()?.get(profile)?.get_ref().proxy.as_ref()
    }

    /// Builds the policy for `profile` (or the top level alone) with `overrides` over the file's
    /// keys: a shell's flags over its environment, each value naming its source, which errors and
    /// warnings then name. Every error at once, each with its location.
    pub fn policy_with(&self, profile: Option<&str>, overrides: &Overrides) -> Result<Policy, ConfigErrors> {
        self.build(profile, overrides, ConfigErrors::default())
    }

    /// [`PolicyFile::policy_with`], with the errors of overrides that could not be read
    /// (`unread`), which come after the profile's and before the values'.
    fn build(
        &self,
        profile: Option<&str>,
        overrides: &Overrides,
        unread: ConfigErrors,
    ) -> Result<Policy, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let mut resolved = Resolved::default();
        resolved.apply(&self.table);
        if let Some(chosen) = profile {
            match self.table.profiles.as_ref().and_then(|p| p.get(chosen)) {
                Some(p) => resolved.apply(p.get_ref()),
                None => {
                    errors.push_at(
                        ConfigError::UnknownProfile { name: chosen.to_owned(), available: self.profiles() },
                        Some(Location { source: self.name.clone(), line: 0, column: 0 }),
                    );
                    return Err(errors);
                }
            }
        } else if self.table.allow_origins.is_none() && !self.profiles().is_empty() && overrides.allow_origins.is_none()
        {
            errors.push_at(
                ConfigError::ProfileNeeded { available: self.profiles() },
                Some(Location { source: self.name.clone(), line: 0, column: 0 }),
            );
            return Err(errors);
        }
        for e in unread {
            errors.push_at(e.error, e.location);
        }
        resolved.apply_overrides(overrides);
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
    fn apply<X>(&mut self, t: &PolicyTable<X>) {
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

    fn apply_overrides(&mut self, o: &Overrides) {
        let b = &mut self.builder;
        let lists: [(&'static str, &Option<GivenList>, &mut Vec<String>); 4] = [
            ("allow_origins", &o.allow_origins, &mut b.origins),
            ("allow_methods", &o.allow_methods, &mut b.methods),
            ("allow_headers", &o.allow_headers, &mut b.headers),
            ("expose_headers", &o.expose_headers, &mut b.expose),
        ];
        for (key, given, target) in lists {
            let Some(given) = given else { continue };
            let star = |l: &[String]| l.iter().any(|s| s.trim() == "*");
            if key != "allow_origins" && star(target) && !star(&given.value) {
                let from = self.lists.get(key).map_or(Origin::Given(String::new()), |(whole, _)| whole.clone());
                self.dropped_star.push((key, target.clone(), from, given.source.clone()));
            }
            target.clone_from(&given.value);
            let items = target.iter().map(|_| Origin::Given(given.source.clone())).collect();
            self.lists.insert(key, (Origin::Given(given.source.clone()), items));
        }
        let bools: [(&'static str, &Option<Given<bool>>, &mut bool); 5] = [
            ("allow_credentials", &o.allow_credentials, &mut b.credentials),
            ("allow_private_network", &o.allow_private_network, &mut b.allow_private_network),
            ("forward_preflights", &o.forward_preflights, &mut b.forward_preflights),
            ("dangerously_allow_null", &o.dangerously_allow_null, &mut b.dangerously_allow_null),
            (
                "dangerously_allow_insecure_origins",
                &o.dangerously_allow_insecure_origins,
                &mut b.dangerously_allow_insecure_origins,
            ),
        ];
        for (key, given, target) in bools {
            if let Some(given) = given {
                *target = given.value;
                self.keys.insert(key, Origin::Given(given.source.clone()));
            }
        }
        if let Some(given) = &o.max_age {
            b.max_age = Some(given.value);
            self.keys.insert("max_age", Origin::Given(given.source.clone()));
        }
        let ints = [
            ("refusal_status", &o.refusal_status, &mut b.refusal_status),
            ("preflight_status", &o.preflight_status, &mut b.preflight_status),
        ];
        for (key, given, target) in ints {
            if let Some(given) = given {
                *target = given.value;
                self.keys.insert(key, Origin::Given(given.source.clone()));
            }
        }
        if let Some(given) = &o.refusal {
            b.refusal.clone_from(&given.value);
            self.keys.insert("refusal", Origin::Given(given.source.clone()));
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
    let top = shape::Place { path: "", proxy: false };
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
                    shape::check_table(text, t, proxy, shape::Place { path: &path, proxy: true }, &mut found)
                }
                _ => shape::check_value(text, table, &key, shape::Place { path: &path, proxy: true }, &mut found),
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
    /// for the usual mistakes.
    pub(crate) fn toml(name: &str, text: &str, error: &toml::de::Error) -> ConfigErrors {
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
