//! What a replayed file says, in the words every shell uses: each request's [`Finding`], the
//! file's [`Summary`], and the notes that go with a request (how its credentials mode was
//! inferred, what a sanitised export removed, the `corsair check` command that asks the server
//! for what the file lacks). `corsair explain --har` and the web page both read these, so a HAR
//! says the same wherever it is dropped.

use std::fmt;

use super::replay::{CredentialsFrom, Judged, Outcome, Replay};
use super::{Engine, Har};
use crate::browser::{Credentials, Verdict};

/// How one replayed request is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Finding {
    /// The model blocks it on the recorded answers.
    Blocked,
    /// The recorded answers pass, and the browser recorded no failure.
    Allowed,
    /// The file lacks an answer the model needs.
    Incomplete,
    /// The browser failed it; the recorded answers pass (something the file does not show).
    BlockedNotInHar,
}

impl Finding {
    /// The finding for one replayed request.
    pub fn of(judged: &Judged) -> Finding {
        match &judged.outcome {
            Outcome::Incomplete { .. } => Finding::Incomplete,
            Outcome::Judged(Verdict::Blocked(_)) => Finding::Blocked,
            Outcome::Judged(Verdict::Allowed(_)) if judged.unexplained_failure() => Finding::BlockedNotInHar,
            Outcome::Judged(Verdict::Allowed(_)) => Finding::Allowed,
        }
    }

    /// A stable name for JSON.
    pub fn name(self) -> &'static str {
        match self {
            Finding::Blocked => "blocked",
            Finding::Allowed => "allowed",
            Finding::Incomplete => "incomplete",
            Finding::BlockedNotInHar => "blocked_not_in_har",
        }
    }

    /// Why a [`Finding::BlockedNotInHar`] request was blocked, as far as the file can tell.
    pub const NOT_IN_HAR: &'static str = "The recorded answers pass every CORS check, with or without credentials: the browser blocked this request for something the HAR does not show (a preflight answered from its cache, Private Network Access, an extension or a proxy).";
}

/// The counts of a replayed file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cross-origin requests replayed.
    pub cross_origin: usize,
    /// [`Finding::Blocked`] requests.
    pub blocked: usize,
    /// [`Finding::Allowed`] requests.
    pub allowed: usize,
    /// [`Finding::Incomplete`] requests.
    pub incomplete: usize,
    /// [`Finding::BlockedNotInHar`] requests.
    pub blocked_not_in_har: usize,
    /// Same-origin entries, skipped.
    pub same_origin: usize,
    /// Entries that are no CORS request, skipped.
    pub not_cors: usize,
}

impl Summary {
    /// Every request that is not [`Finding::Allowed`]: what the file's user has to look at.
    pub fn failures(&self) -> usize {
        self.cross_origin - self.allowed
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cross-origin request(s): {} blocked, {} passed, {} not judged (the HAR lacks data), {} blocked by the browser for a reason the HAR does not show; {} same-origin and {} other (non-CORS) entries skipped.",
            self.cross_origin,
            self.blocked,
            self.allowed,
            self.incomplete,
            self.blocked_not_in_har,
            self.same_origin,
            self.not_cors
        )
    }
}

impl Replay {
    /// Counts the file's requests by [`Finding`].
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            cross_origin: self.requests.len(),
            same_origin: self.same_origin,
            not_cors: self.not_cors,
            ..Summary::default()
        };
        for j in &self.requests {
            match Finding::of(j) {
                Finding::Blocked => s.blocked += 1,
                Finding::Allowed => s.allowed += 1,
                Finding::Incomplete => s.incomplete += 1,
                Finding::BlockedNotInHar => s.blocked_not_in_har += 1,
            }
        }
        s
    }
}

impl Har {
    /// Whose words the console messages are in, when they are not the engine's own.
    pub fn words_note(&self) -> Option<String> {
        match self.engine {
            Engine::Chromium => None,
            Engine::Firefox => Some("The console messages are Chromium's: corsair's browser model has only Chromium's words; Firefox's reason code is given with each.".to_owned()),
            Engine::WebKit => Some("The console messages are Chromium's: corsair's browser model has only Chromium's words (Safari words most failures differently).".to_owned()),
            Engine::Other => Some(format!("`{}` is no browser corsair knows: the requests are judged as Chromium would, in Chromium's words.", self.creator)),
        }
    }
}

impl Judged {
    /// This request's [`Finding`].
    pub fn finding(&self) -> Finding {
        Finding::of(self)
    }

    /// Which credentials mode was used and why, when it is not fetch()'s default: no HAR
    /// records it.
    pub fn credentials_note(&self) -> Option<&'static str> {
        match self.credentials_from {
            CredentialsFrom::CookieHeader => Some("Credentials: include (the request carried a Cookie header across origins)."),
            CredentialsFrom::BrowserFailure => Some("Credentials: include, inferred: HARs do not record fetch()'s credentials mode, the browser failed this request, and the recorded answers fail only with credentials: 'include'."),
            CredentialsFrom::Default => None,
        }
    }

    /// What a sanitised export removed that the request needed, if anything.
    pub fn sanitised_note(&self) -> Option<String> {
        (!self.sanitised.is_empty()).then(|| {
            format!(
                "The HAR was sanitised: the preflight asked for {} but the request's value is not in the file; judged by name with a placeholder value (CORS does not read it).",
                self.sanitised.join(", ")
            )
        })
    }

    /// `corsair check URL --origin ORIGIN [-X METHOD] [-H 'Name: value']... [--credentials
    /// include]`: the command that asks the server now, as the browser would, for what the file
    /// lacks. Words are quoted for a POSIX shell.
    pub fn check_command(&self) -> String {
        let i = &self.intent;
        let mut parts = vec![
            "corsair check".to_owned(),
            quote(i.url.as_str()),
            "--origin".to_owned(),
            quote(i.page_origin.as_str()),
        ];
        if i.method != "GET" {
            parts.push(format!("-X {}", quote(&i.method)));
        }
        for (n, v) in &i.headers {
            parts.push(format!("-H {}", quote(&format!("{n}: {v}"))));
        }
        if i.credentials == Credentials::Include {
            parts.push("--credentials include".to_owned());
        }
        parts.join(" ")
    }
}

/// POSIX shell quoting, only when needed.
fn quote(s: &str) -> String {
    let plain = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_./:=@%+,-".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting_keeps_plain_words_and_escapes_quotes() {
        assert_eq!(quote("http://a.test:8080/x?y=1"), "'http://a.test:8080/x?y=1'");
        assert_eq!(quote("http://a.test/x"), "http://a.test/x");
        assert_eq!(quote("X-A: it's"), r"'X-A: it'\''s'");
    }
}
