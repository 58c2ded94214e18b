//! Configuration errors: typed values to match on, whose `Display` says what to write instead.
//!
//! A policy is validated whole, so [`ConfigErrors`] holds every mistake at once. Errors from a
//! policy file or the environment carry a [`Location`] (file, line, column, or variable name).
//!
//! ```
//! use corsair_core::{ConfigError, Policy};
//!
//! let errors = Policy::builder().allow_origin("*").allow_credentials(true).build().unwrap_err();
//! assert!(errors.iter().any(|e| matches!(e.error, ConfigError::WildcardWithCredentials { .. })));
//! ```

use std::fmt;

use crate::origin::escape;
use crate::pattern::PatternError;

/// The policy key an error is about; used to point at the right place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// `allow_origins`
    AllowOrigins,
    /// `allow_methods`
    AllowMethods,
    /// `allow_headers`
    AllowHeaders,
    /// `expose_headers`
    ExposeHeaders,
    /// `allow_credentials`
    AllowCredentials,
    /// `max_age`
    MaxAge,
    /// `preflight_status`
    PreflightStatus,
    /// `refusal`
    Refusal,
    /// `refusal_status`
    RefusalStatus,
    /// The file as a whole (syntax, unknown keys, profiles).
    File,
}

impl Field {
    /// The key's name in policy files, and the stem of its environment variable.
    pub fn key(self) -> &'static str {
        match self {
            Field::AllowOrigins => "allow_origins",
            Field::AllowMethods => "allow_methods",
            Field::AllowHeaders => "allow_headers",
            Field::ExposeHeaders => "expose_headers",
            Field::AllowCredentials => "allow_credentials",
            Field::MaxAge => "max_age",
            Field::PreflightStatus => "preflight_status",
            Field::Refusal => "refusal",
            Field::RefusalStatus => "refusal_status",
            Field::File => "",
        }
    }
}

/// One thing wrong with a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No allowed origins: such a policy would refuse every CORS request.
    NoOrigins,
    /// An entry of `allow_origins` that is not a valid, canonical origin or pattern.
    InvalidOrigin {
        /// Position in the list.
        index: usize,
        /// What is wrong with it.
        error: PatternError,
    },
    /// `*` together with credentials: browsers refuse it, and reflecting every origin instead
    /// would let any site act as the user.
    WildcardWithCredentials {
        /// Position of `*` in the list.
        index: usize,
    },
    /// `scheme://*.<public suffix>` with credentials: it admits sites of unrelated owners.
    PublicSuffixWithCredentials {
        /// Position in the list.
        index: usize,
        /// The pattern.
        value: String,
        /// The public suffix it spans (`com`, `github.io`).
        suffix: String,
    },
    /// `null` or `file://...` without `dangerously_allow_null`.
    NullOrigin {
        /// Position in the list.
        index: usize,
        /// The entry as written.
        value: String,
    },
    /// A plain-http origin (not loopback) with credentials, without
    /// `dangerously_allow_insecure_origins`: anyone on the network path can act as that origin.
    InsecureOriginWithCredentials {
        /// Position in the list.
        index: usize,
        /// The entry as written.
        value: String,
    },
    /// A method that is not an HTTP token.
    InvalidMethod {
        /// Position in the list.
        index: usize,
        /// The method as written.
        value: String,
    },
    /// `CONNECT`, `TRACE` or `TRACK`: browsers never send them.
    ForbiddenMethod {
        /// Position in the list.
        index: usize,
        /// The method as written.
        value: String,
    },
    /// A lower-case spelling of a standard method (`delete`): browsers upper-case those before
    /// sending, and method matching is case-sensitive, so this entry could never match.
    MethodNeverSent {
        /// Position in the list.
        index: usize,
        /// The method as written.
        value: String,
        /// What browsers send.
        sent_as: &'static str,
    },
    /// A header name that is not an HTTP token.
    InvalidHeaderName {
        /// `allow_headers` or `expose_headers`.
        field: Field,
        /// Position in the list.
        index: usize,
        /// The name as written.
        value: String,
    },
    /// A request header scripts cannot set (`Cookie`, `Host`, `Sec-*`, ...): listing it does nothing.
    ForbiddenRequestHeader {
        /// Position in the list.
        index: usize,
        /// The name as written.
        value: String,
    },
    /// `Set-Cookie` in `expose_headers`: browsers never expose it.
    ForbiddenResponseHeader {
        /// Position in the list.
        index: usize,
        /// The name as written.
        value: String,
    },
    /// `*` in `expose_headers` with credentials: browsers read it as a header literally named `*`.
    WildcardExposeWithCredentials {
        /// Position in the list.
        index: usize,
    },
    /// `max_age` outside 0..=86400 seconds.
    MaxAgeOutOfRange {
        /// The value given.
        value: i64,
    },
    /// `preflight_status` outside 200..=299: browsers fail preflights without an ok status.
    InvalidPreflightStatus {
        /// The value given.
        value: i64,
    },
    /// `refusal_status` outside 400..=599.
    InvalidRefusalStatus {
        /// The value given.
        value: i64,
    },
    /// An unknown `refusal` style.
    UnknownRefusal {
        /// The value given.
        value: String,
    },
    /// The policy file is not valid TOML, or has a key or type the policy does not know.
    Syntax {
        /// The parser's message, with our hint where we have one.
        message: String,
    },
    /// The profile asked for is not one the file defines.
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles the file has.
        available: Vec<String>,
    },
    /// The file defines profiles and no top-level `allow_origins`, and no profile was chosen: the
    /// top level alone is no policy. (How to choose one is the caller's: a flag, a variable.)
    ProfileNeeded {
        /// The profiles the file has.
        available: Vec<String>,
    },
    /// A setting outside the policy (the gateway's `[proxy]` keys) is invalid.
    Setting {
        /// The key, e.g. `proxy.listen`.
        key: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// An environment override that cannot be read (or a flag given to the reader as one; the
    /// error's location names what the user wrote).
    InvalidEnvironment {
        /// The variable the value stands for.
        variable: String,
        /// What is wrong.
        message: String,
    },
    /// A key the table does not have: without this error a misspelt key would silently do
    /// nothing.
    UnknownKey {
        /// The key's dotted path, e.g. `proxy.upstrem`.
        key: String,
        /// The known key it is closest to, when one is close.
        suggestion: Option<String>,
        /// Whether the key is in a `[proxy]` table, whose keys the proxy documents (the policy's
        /// keys are documented with the policy).
        proxy: bool,
    },
    /// A value of the wrong kind, e.g. `max_age = "600"`.
    WrongType {
        /// The key's dotted path.
        key: String,
        /// What the key holds, in the file's words ("a whole number", "a list of strings").
        expected: &'static str,
        /// What the file has there, in the same words.
        found: &'static str,
        /// What to write instead, when the mistake is a usual one (empty otherwise).
        hint: String,
    },
    /// A `CORSAIR_*` environment variable corsair does not read, spelt like one it does: as
    /// set, the override it was meant to be does nothing.
    UnknownVariable {
        /// The variable as set.
        variable: String,
        /// The variable it was probably meant to be.
        suggestion: String,
    },
}

impl ConfigError {
    /// The key the error is about.
    pub fn field(&self) -> Field {
        use ConfigError::*;
        match self {
            NoOrigins
            | InvalidOrigin { .. }
            | WildcardWithCredentials { .. }
            | PublicSuffixWithCredentials { .. }
            | NullOrigin { .. }
            | InsecureOriginWithCredentials { .. } => Field::AllowOrigins,
            InvalidMethod { .. } | ForbiddenMethod { .. } | MethodNeverSent { .. } => Field::AllowMethods,
            InvalidHeaderName { field, .. } => *field,
            ForbiddenRequestHeader { .. } => Field::AllowHeaders,
            ForbiddenResponseHeader { .. } | WildcardExposeWithCredentials { .. } => Field::ExposeHeaders,
            MaxAgeOutOfRange { .. } => Field::MaxAge,
            InvalidPreflightStatus { .. } => Field::PreflightStatus,
            InvalidRefusalStatus { .. } => Field::RefusalStatus,
            UnknownRefusal { .. } => Field::Refusal,
            Syntax { .. }
            | Setting { .. }
            | UnknownProfile { .. }
            | ProfileNeeded { .. }
            | InvalidEnvironment { .. }
            | UnknownKey { .. }
            | WrongType { .. }
            | UnknownVariable { .. } => Field::File,
        }
    }

    /// The position in the key's list, for list keys.
    pub fn index(&self) -> Option<usize> {
        use ConfigError::*;
        match self {
            InvalidOrigin { index, .. }
            | WildcardWithCredentials { index }
            | PublicSuffixWithCredentials { index, .. }
            | NullOrigin { index, .. }
            | InsecureOriginWithCredentials { index, .. }
            | InvalidMethod { index, .. }
            | ForbiddenMethod { index, .. }
            | MethodNeverSent { index, .. }
            | InvalidHeaderName { index, .. }
            | ForbiddenRequestHeader { index, .. }
            | ForbiddenResponseHeader { index, .. }
            | WildcardExposeWithCredentials { index } => Some(*index),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ConfigError::*;
        match self {
            NoOrigins => f.write_str(
                "no allowed origins: list the origins of the pages that call this API, e.g. allow_origins = [\"https://app.example.com\"]",
            ),
            InvalidOrigin { error, .. } => error.fmt(f),
            WildcardWithCredentials { .. } => f.write_str(
                "`*` with allow_credentials = true: browsers reject `Access-Control-Allow-Origin: *` on credentialed requests, and echoing every origin instead would let any site act as your users; list the origins, or set allow_credentials = false",
            ),
            PublicSuffixWithCredentials { value, suffix, .. } => write!(
                f,
                "`{}` with credentials admits every site under the public suffix `{suffix}`, whoever owns it; list your own domains (e.g. `https://*.yourapp.{suffix}`)",
                escape(value)
            ),
            NullOrigin { value, .. } => write!(
                f,
                "`{}`: the `null` origin is sent by sandboxed iframes, file: pages and redirected requests, so any site can produce it; remove it, or set dangerously_allow_null = true if you accept that",
                escape(value)
            ),
            InsecureOriginWithCredentials { value, .. } => write!(
                f,
                "`{}` is plain http and not loopback: with credentials, anyone on the network path can impersonate it; use `https://`, or set dangerously_allow_insecure_origins = true",
                escape(value)
            ),
            InvalidMethod { value, .. } => {
                write!(f, "`{}` is not a method: methods are HTTP tokens such as `PUT` (no spaces or commas); write one method per entry", escape(value))
            }
            ForbiddenMethod { value, .. } => {
                write!(f, "`{}`: browsers never send CONNECT, TRACE or TRACK from scripts; remove it", escape(value))
            }
            MethodNeverSent { value, sent_as, .. } => write!(
                f,
                "`{}` never matches: browsers upper-case this method before sending it and methods are compared case-sensitively; write `{sent_as}`",
                escape(value)
            ),
            InvalidHeaderName { value, field, .. } => write!(
                f,
                "`{}` in {} is not a header name (an HTTP token, no spaces or `:`); write one name per entry",
                escape(value),
                field.key()
            ),
            ForbiddenRequestHeader { value, .. } => write!(
                f,
                "`{}`: browsers never let scripts set this header, so allowing it does nothing; remove it (cookies are sent with credentials, not as a header the page sets)",
                escape(value)
            ),
            ForbiddenResponseHeader { value, .. } => {
                write!(f, "`{}`: browsers never expose Set-Cookie to scripts; remove it", escape(value))
            }
            WildcardExposeWithCredentials { .. } => f.write_str(
                "`*` in expose_headers with allow_credentials = true: browsers treat it as a header literally named `*`; list the header names",
            ),
            MaxAgeOutOfRange { value } => write!(
                f,
                "max_age = {value} is out of range; write a number of seconds from 0 to 86400 (Chromium caps at 7200, Firefox at 86400)"
            ),
            InvalidPreflightStatus { value } => {
                write!(f, "preflight_status = {value}: browsers fail preflights without a 2xx status; write 204 or 200")
            }
            InvalidRefusalStatus { value } => write!(f, "refusal_status = {value}: write a 4xx or 5xx status such as 403"),
            UnknownRefusal { value } => write!(
                f,
                "refusal = `{}` is unknown; write \"omit-headers\", \"reject-preflight\" or \"reject-all\"",
                escape(value)
            ),
            Syntax { message } => f.write_str(message),
            Setting { key, message } => write!(f, "{key}: {message}"),
            UnknownProfile { name, available } => {
                write!(f, "no profile `{}` in this file", escape(name))?;
                if available.is_empty() {
                    f.write_str("; it defines no [profiles.NAME] tables")
                } else {
                    let names: Vec<String> = available.iter().map(|n| escape(n)).collect();
                    write!(f, "; choose one of: {}", names.join(", "))
                }
            }
            ProfileNeeded { available } => {
                let names: Vec<String> = available.iter().map(|n| escape(n)).collect();
                write!(f, "this file defines profiles ({}) and no top-level allow_origins; choose one", names.join(", "))
            }
            // The variable is named by the error's location (`environment variable CORSAIR_...`).
            InvalidEnvironment { message, .. } => f.write_str(message),
            UnknownKey { key, suggestion, .. } => {
                write!(f, "unknown key `{}`", escape(key))?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{}`?", escape(s))?;
                }
                Ok(())
            }
            WrongType { key, expected, found, hint } => {
                write!(f, "{} must be {expected}, not {found}", escape(key))?;
                if !hint.is_empty() {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
            UnknownVariable { variable, suggestion } => write!(
                f,
                "`{}` is not a variable corsair reads, so it does nothing; did you mean {suggestion}?",
                escape(variable)
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Where an error came from: a file position or an environment variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file name, or the environment variable's name.
    pub source: String,
    /// 1-based line; 0 when the source has no lines (environment).
    pub line: usize,
    /// 1-based column, in characters; 0 when the source has no lines.
    pub column: usize,
}

impl Location {
    /// The 1-based line and character column of byte offset `at` in `text` (clamped to the
    /// text, rounded down to a character boundary).
    pub fn in_text(source: &str, text: &str, at: usize) -> Location {
        let mut at = at.min(text.len());
        while at > 0 && !text.is_char_boundary(at) {
            at -= 1;
        }
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location { source: source.to_owned(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}:{}", self.source, self.line, self.column)
        }
    }
}

/// A [`ConfigError`] and, when known, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The error.
    pub error: ConfigError,
    /// Where it is, if it came from a file or the environment.
    pub location: Option<Location>,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{loc}: {}", self.error),
            None => self.error.fmt(f),
        }
    }
}

/// Every error found in a policy, in the order of the keys and entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigErrors(pub(crate) Vec<Located>);

impl ConfigErrors {
    /// Iterates the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, Located> {
        self.0.iter()
    }

    /// How many errors there are (never 0 in an `Err`).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, error: ConfigError) {
        self.0.push(Located { error, location: None });
    }

    /// Adds an error found by another reader of the file (the gateway's settings).
    pub fn push_at(&mut self, error: ConfigError, location: Option<Location>) {
        self.0.push(Located { error, location });
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl IntoIterator for ConfigErrors {
    type Item = Located;
    type IntoIter = std::vec::IntoIter<Located>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a Located;
    type IntoIter = std::slice::Iter<'a, Located>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
