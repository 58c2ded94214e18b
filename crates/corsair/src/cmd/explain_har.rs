//! `corsair explain --har FILE`: every cross-origin request a browser recorded, judged by the
//! browser model on the recorded answers ([`corsair_core::har`]), and reported with `check`'s
//! own rendering: the console message, why, the fix. What the file lacks is said, with the
//! `corsair check` command that would fill it in.

use std::io::Write;

use corsair_core::browser::{Credentials, Intent, Verdict};
use corsair_core::har::{self, CredentialsFrom, Engine, Har, Judged, Outcome, Replay};
use corsair_probe::{Exchange, Received, Transcript};
use serde_json::{json, Value};

use crate::cmd::check::{self, Format};
use crate::cmd::explain::ExplainArgs;
use crate::cmd::style::Style;
use crate::cmd::term;
use crate::snippet;
use crate::status::Status;

/// Runs `corsair explain --har FILE`: 0 when every cross-origin request passed, 1 when one was
/// blocked or could not be judged from the file, 2 when the file cannot be read as a HAR.
pub fn run(args: &ExplainArgs, path: &std::path::Path, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let har = match read(path) {
        Ok(h) => h,
        Err(m) => {
            let _ = writeln!(err, "corsair: {}: {m}", path.display());
            return Status::Usage;
        }
    };
    let replay = har::replay(&har);
    let report = Report::new(&har, &replay, args);
    let _ = match args.format {
        Format::Json => writeln!(out, "{}", report.to_json()),
        Format::Text => report.write_text(out, Style::for_stdout(), term::stdout_columns()),
    };
    if report.failures() > 0 {
        Status::Findings
    } else {
        Status::Ok
    }
}

/// Reads and parses the file, refusing what is too large before reading it.
fn read(path: &std::path::Path) -> Result<Har, String> {
    let len = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?.len();
    if len > har::MAX_BYTES as u64 {
        return Err(har::HarError::TooLarge { bytes: usize::try_from(len).unwrap_or(usize::MAX) }.to_string());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| format!("not a HAR: not UTF-8 text ({e})"))?;
    Har::parse(&text).map_err(|e| e.to_string())
}

/// How one replayed request is reported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blocked,
    Allowed,
    /// The file lacks an answer the model needs.
    Incomplete,
    /// The browser failed it; the recorded answers pass.
    Unexplained,
}

impl Kind {
    fn of(j: &Judged) -> Kind {
        match &j.outcome {
            Outcome::Incomplete { .. } => Kind::Incomplete,
            Outcome::Judged(Verdict::Blocked(_)) => Kind::Blocked,
            Outcome::Judged(Verdict::Allowed(_)) if j.unexplained_failure() => Kind::Unexplained,
            Outcome::Judged(Verdict::Allowed(_)) => Kind::Allowed,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Blocked => "blocked",
            Kind::Allowed => "allowed",
            Kind::Incomplete => "incomplete",
            Kind::Unexplained => "blocked_not_in_har",
        }
    }
}

struct Report<'a> {
    har: &'a Har,
    replay: &'a Replay,
    args: &'a ExplainArgs,
    kinds: Vec<Kind>,
}

impl<'a> Report<'a> {
    fn new(har: &'a Har, replay: &'a Replay, args: &'a ExplainArgs) -> Report<'a> {
        Report { har, replay, args, kinds: replay.requests.iter().map(Kind::of).collect() }
    }

    fn count(&self, kind: Kind) -> usize {
        self.kinds.iter().filter(|k| **k == kind).count()
    }

    fn failures(&self) -> usize {
        self.kinds.iter().filter(|k| **k != Kind::Allowed).count()
    }

    /// The requests to list: every failure, and with `--all` the passes too.
    fn listed(&self) -> impl Iterator<Item = (&'a Judged, Kind)> + '_ {
        self.replay
            .requests
            .iter()
            .zip(self.kinds.iter().copied())
            .filter(|(_, k)| self.args.all || *k != Kind::Allowed)
    }

    /// The note on whose words the console messages are.
    fn words(&self) -> Option<String> {
        match self.har.engine {
            Engine::Chromium => None,
            Engine::Firefox => Some("The console messages are Chromium's: corsair's browser model has only Chromium's words; Firefox's reason code is given with each.".to_owned()),
            Engine::WebKit => Some("The console messages are Chromium's: corsair's browser model has only Chromium's words (Safari words most failures differently).".to_owned()),
            Engine::Other => Some(format!("`{}` is no browser corsair knows: the requests are judged as Chromium would, in Chromium's words.", self.har.creator)),
        }
    }

    fn write_text(&self, out: &mut dyn Write, s: Style, columns: Option<usize>) -> std::io::Result<()> {
        let prose = |out: &mut dyn Write, text: &str| term::write_wrapped(out, text, columns, ("  ", "  ", 2));
        writeln!(
            out,
            "HAR written by {} {} ({}).",
            if self.har.creator.is_empty() { "an unnamed tool" } else { &self.har.creator },
            self.har.creator_version,
            self.har.engine.name()
        )?;
        if let Some(w) = self.words() {
            writeln!(out, "{w}")?;
        }
        writeln!(out, "{}", self.summary())?;
        for (i, (j, kind)) in self.listed().enumerate() {
            writeln!(out)?;
            let label = match kind {
                Kind::Blocked => s.red("BLOCKED"),
                Kind::Allowed => s.green("ALLOWED"),
                Kind::Incomplete => s.yellow("NOT JUDGED"),
                Kind::Unexplained => s.red("BLOCKED BY THE BROWSER"),
            };
            writeln!(
                out,
                "{} {label}  {} {}  (entry {})",
                s.bold(&format!("[{}]", i + 1)),
                s.bold(&j.intent.method),
                j.intent.url,
                j.entry
            )?;
            writeln!(out, "  Page origin: {} (from {})", j.intent.page_origin, j.origin_from.describe())?;
            if let Some(c) = credentials_note(j) {
                prose(out, &c)?;
            }
            if !j.sanitised.is_empty() {
                prose(out, &sanitised_note(j))?;
            }
            let recorded: Vec<String> = j
                .exchanges
                .iter()
                .map(|(r, resp, e)| format!("{} {} -> {} (entry {e})", r.method, r.url, resp.status))
                .collect();
            if !recorded.is_empty() {
                writeln!(out, "  Recorded: {}", recorded.join("; "))?;
            }
            if let Some(f) = &j.recorded_failure {
                writeln!(out, "  The browser recorded: {f}")?;
            }
            match kind {
                Kind::Blocked | Kind::Allowed => {
                    let t = transcript(self.har, j);
                    let stack = self.args.stack.or_else(|| snippet::detect(&t));
                    writeln!(out)?;
                    check::write_verdict(out, &t, stack, &[], s, columns)?;
                }
                Kind::Incomplete => {
                    let Outcome::Incomplete { missing, .. } = &j.outcome else { continue };
                    writeln!(out, "\nMissing:")?;
                    prose(out, &missing.describe())?;
                    write_fill_in(out, j, s)?;
                }
                Kind::Unexplained => {
                    writeln!(out, "\nWhy:")?;
                    prose(out, "The recorded answers pass every CORS check, with or without credentials: the browser blocked this request for something the HAR does not show (a preflight answered from its cache, Private Network Access, an extension or a proxy).")?;
                    write_fill_in(out, j, s)?;
                }
            }
        }
        let unlisted = self.count(Kind::Allowed);
        if unlisted > 0 && !self.args.all {
            writeln!(out, "\n{unlisted} request(s) passed (not listed; --all lists them).")?;
        }
        Ok(())
    }

    fn summary(&self) -> String {
        format!(
            "{} cross-origin request(s): {} blocked, {} passed, {} not judged (the HAR lacks data), {} blocked by the browser for a reason the HAR does not show; {} same-origin and {} other (non-CORS) entries skipped.",
            self.replay.requests.len(),
            self.count(Kind::Blocked),
            self.count(Kind::Allowed),
            self.count(Kind::Incomplete),
            self.count(Kind::Unexplained),
            self.replay.same_origin,
            self.replay.not_cors
        )
    }

    fn to_json(&self) -> Value {
        let requests: Vec<Value> = self
            .listed()
            .map(|(j, kind)| {
                let checked = matches!(kind, Kind::Blocked | Kind::Allowed).then(|| {
                    let t = transcript(self.har, j);
                    check::to_json(&t, self.args.stack.or_else(|| snippet::detect(&t)), &[])
                });
                let missing = match &j.outcome {
                    Outcome::Incomplete { missing, .. } => {
                        json!({"kind": missing.name(), "description": missing.describe()})
                    }
                    Outcome::Judged(_) => Value::Null,
                };
                let fill_in = matches!(kind, Kind::Incomplete | Kind::Unexplained).then(|| check_command(j));
                json!({
                    "entry": j.entry,
                    "method": j.intent.method,
                    "url": j.intent.url.as_str(),
                    "page_origin": j.intent.page_origin.as_str(),
                    "origin_from": j.origin_from.name(),
                    "credentials": credentials_name(j.intent.credentials),
                    "credentials_from": match j.credentials_from {
                        CredentialsFrom::CookieHeader => "cookie_header",
                        CredentialsFrom::BrowserFailure => "browser_failure",
                        CredentialsFrom::Default => "default",
                    },
                    "verdict": kind.name(),
                    "recorded_failure": j.recorded_failure,
                    "entries": j.exchanges.iter().map(|(_, _, e)| e).collect::<Vec<_>>(),
                    "sanitised": j.sanitised,
                    "check": checked,
                    "missing": missing,
                    "fill_in": fill_in,
                })
            })
            .collect();
        json!({
            "har": {
                "creator": self.har.creator,
                "version": self.har.creator_version,
                "engine": self.har.engine.name(),
            },
            "messages_from": "chromium",
            "note": self.words(),
            "summary": {
                "cross_origin": self.replay.requests.len(),
                "blocked": self.count(Kind::Blocked),
                "allowed": self.count(Kind::Allowed),
                "incomplete": self.count(Kind::Incomplete),
                "blocked_not_in_har": self.count(Kind::Unexplained),
                "same_origin": self.replay.same_origin,
                "not_cors": self.replay.not_cors,
            },
            "requests": requests,
        })
    }
}

/// The recorded exchanges as the transcript `check` renders.
fn transcript(har: &Har, j: &Judged) -> Transcript {
    let Outcome::Judged(verdict) = &j.outcome else { unreachable!("only judged requests are rendered") };
    let exchanges = j
        .exchanges
        .iter()
        .map(|(request, response, e)| {
            let entry = &har.entries[*e];
            let version = match entry.http_version.to_ascii_lowercase().as_str() {
                "http/2" | "http/2.0" | "h2" => "HTTP/2",
                "http/1.0" => "HTTP/1.0",
                _ => "HTTP/1.1",
            };
            let reason = (!entry.status_text.is_empty()).then(|| entry.status_text.clone());
            Exchange {
                request: request.clone(),
                response: Ok(Received { version, reason, response: response.clone() }),
            }
        })
        .collect();
    Transcript { exchanges, verdict: verdict.clone() }
}

fn credentials_name(c: Credentials) -> &'static str {
    match c {
        Credentials::Omit => "omit",
        Credentials::SameOrigin => "same-origin",
        Credentials::Include => "include",
    }
}

/// Says which credentials mode was used and why: no HAR records it.
fn credentials_note(j: &Judged) -> Option<String> {
    match j.credentials_from {
        CredentialsFrom::CookieHeader => Some("Credentials: include (the request carried a Cookie header across origins).".to_owned()),
        CredentialsFrom::BrowserFailure => Some("Credentials: include, inferred: HARs do not record fetch()'s credentials mode, the browser failed this request, and the recorded answers fail only with credentials: 'include'.".to_owned()),
        CredentialsFrom::Default => None,
    }
}

fn sanitised_note(j: &Judged) -> String {
    format!(
        "The HAR was sanitised: the preflight asked for {} but the request's value is not in the file; judged by name with a placeholder value (CORS does not read it).",
        j.sanitised.join(", ")
    )
}

/// The `corsair check` command that asks the server what the file lacks, and a word on it.
fn write_fill_in(out: &mut dyn Write, j: &Judged, s: Style) -> std::io::Result<()> {
    writeln!(out, "\nFill it in with (asks the server now, as the browser would):")?;
    writeln!(out, "  {}", s.bold(&check_command(j)))?;
    if !matches!(j.intent.method.to_ascii_uppercase().as_str(), "GET" | "HEAD") {
        writeln!(
            out,
            "  (this sends the {} itself too; add --preflight-only to stop after the preflight)",
            j.intent.method
        )?;
    }
    Ok(())
}

/// `corsair check URL --origin ORIGIN [-X METHOD] [-H 'Name: value']... [--credentials include]`
/// for the request as the file shows it.
fn check_command(j: &Judged) -> String {
    let i: &Intent = &j.intent;
    let mut parts =
        vec!["corsair check".to_owned(), quote(i.url.as_str()), "--origin".to_owned(), quote(i.page_origin.as_str())];
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
