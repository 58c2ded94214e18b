//! `corsair explain --har FILE`: every cross-origin request a browser recorded, judged by the
//! browser model on the recorded answers ([`corsair_core::har`]), and reported with `check`'s
//! own rendering: the console message, why, the fix. What the file lacks is said, with the
//! `corsair check` command that would fill it in.

use std::io::Write;

use corsair_core::har::{self, CredentialsFrom, Finding as Kind, Har, Judged, Outcome, Replay, Summary};
use corsair_probe::{Exchange, Received, Transcript};

use crate::cmd::check::{self, Format};
use crate::cmd::explain::ExplainArgs;
use crate::cmd::style::Style;
use crate::cmd::term;
use crate::report::{
    self,
    check::CheckReport,
    har::{HarReport, HarRequest, HarSource, HarSummary, Missing},
};
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
        Format::Json => report::write_json(out, &report.to_report()),
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

struct Report<'a> {
    har: &'a Har,
    replay: &'a Replay,
    args: &'a ExplainArgs,
    kinds: Vec<Kind>,
    summary: Summary,
}

impl<'a> Report<'a> {
    fn new(har: &'a Har, replay: &'a Replay, args: &'a ExplainArgs) -> Report<'a> {
        Report { har, replay, args, kinds: replay.requests.iter().map(Kind::of).collect(), summary: replay.summary() }
    }

    fn failures(&self) -> usize {
        self.summary.failures()
    }

    /// The requests to list: every failure, and with `--all` the passes too.
    fn listed(&self) -> impl Iterator<Item = (&'a Judged, Kind)> + '_ {
        self.replay
            .requests
            .iter()
            .zip(self.kinds.iter().copied())
            .filter(|(_, k)| self.args.all || *k != Kind::Allowed)
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
        if let Some(w) = self.har.words_note() {
            writeln!(out, "{w}")?;
        }
        writeln!(out, "{}", self.summary)?;
        for (i, (j, kind)) in self.listed().enumerate() {
            writeln!(out)?;
            let label = match kind {
                Kind::Blocked => s.red("BLOCKED"),
                Kind::Allowed => s.green("ALLOWED"),
                Kind::Incomplete => s.yellow("NOT JUDGED"),
                Kind::BlockedNotInHar => s.red("BLOCKED BY THE BROWSER"),
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
            if let Some(c) = j.credentials_note() {
                prose(out, c)?;
            }
            if let Some(n) = j.sanitised_note() {
                prose(out, &n)?;
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
                    check::write_verdict(out, &t, stack, s, columns)?;
                }
                Kind::Incomplete => {
                    let Outcome::Incomplete { missing, .. } = &j.outcome else { continue };
                    writeln!(out, "\nMissing:")?;
                    prose(out, &missing.describe())?;
                    write_fill_in(out, j, s)?;
                }
                Kind::BlockedNotInHar => {
                    writeln!(out, "\nWhy:")?;
                    prose(out, Kind::NOT_IN_HAR)?;
                    write_fill_in(out, j, s)?;
                }
            }
        }
        let unlisted = self.summary.allowed;
        if unlisted > 0 && !self.args.all {
            writeln!(out, "\n{unlisted} request(s) passed (not listed; --all lists them).")?;
        }
        Ok(())
    }

    /// The `--format json` document.
    fn to_report(&self) -> HarReport {
        let requests = self
            .listed()
            .map(|(j, kind)| {
                let check = matches!(kind, Kind::Blocked | Kind::Allowed).then(|| {
                    let t = transcript(self.har, j);
                    CheckReport::of(&t, self.args.stack.or_else(|| snippet::detect(&t)), &[])
                });
                let missing = match &j.outcome {
                    Outcome::Incomplete { missing, .. } => {
                        Some(Missing { description: missing.describe(), kind: missing.name() })
                    }
                    Outcome::Judged(_) => None,
                };
                HarRequest {
                    check,
                    credentials: j.intent.credentials.as_str(),
                    credentials_from: match j.credentials_from {
                        CredentialsFrom::CookieHeader => "cookie_header",
                        CredentialsFrom::BrowserFailure => "browser_failure",
                        CredentialsFrom::Default => "default",
                    },
                    entries: j.exchanges.iter().map(|(_, _, e)| *e).collect(),
                    entry: j.entry,
                    fill_in: matches!(kind, Kind::Incomplete | Kind::BlockedNotInHar).then(|| j.check_command()),
                    method: j.intent.method.clone(),
                    missing,
                    origin_from: j.origin_from.name(),
                    page_origin: j.intent.page_origin.as_str().to_owned(),
                    recorded_failure: j.recorded_failure.clone(),
                    sanitised: j.sanitised.clone(),
                    url: j.intent.url.to_string(),
                    verdict: kind.name(),
                }
            })
            .collect();
        let s = &self.summary;
        HarReport {
            har: HarSource {
                creator: self.har.creator.clone(),
                engine: self.har.engine.name(),
                version: self.har.creator_version.clone(),
            },
            messages_from: "chromium",
            note: self.har.words_note(),
            requests,
            summary: HarSummary {
                allowed: s.allowed,
                blocked: s.blocked,
                blocked_not_in_har: s.blocked_not_in_har,
                cross_origin: s.cross_origin,
                incomplete: s.incomplete,
                not_cors: s.not_cors,
                same_origin: s.same_origin,
            },
        }
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

/// The `corsair check` command that asks the server what the file lacks, and a word on it.
fn write_fill_in(out: &mut dyn Write, j: &Judged, s: Style) -> std::io::Result<()> {
    writeln!(out, "\nFill it in with (asks the server now, as the browser would):")?;
    writeln!(out, "  {}", s.bold(&j.check_command()))?;
    if !matches!(j.intent.method.to_ascii_uppercase().as_str(), "GET" | "HEAD") {
        writeln!(
            out,
            "  (this sends the {} itself too; add --preflight-only to stop after the preflight)",
            j.intent.method
        )?;
    }
    Ok(())
}
