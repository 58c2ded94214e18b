//! `corsair explain 'Access to fetch at ...'`: read a pasted console error, say what it means and
//! what to change; with `--live`, run `corsair check` on the same URL and origin and say whether
//! the server still does it.

use std::io::{Read, Write};

use clap::Args;
use corsair_core::browser::{RedirectMode, Verdict};
use corsair_core::console::{self, Browser, Message, Stated};
use corsair_core::cors_error::CorsError;

use crate::cmd::check::{self, CheckRequest, CredentialsArg, Format, NetArgs, Output};
use crate::cmd::style::Style;
use crate::report::{self, check::CheckReport, explain::ExplainReport};
use crate::snippet::Stack;
use crate::status::Status;

const EXPLAIN_HELP: &str = "\
The message comes from the argument, or from standard input when it is absent or `-` (on a
terminal, corsair asks for it; end with Ctrl-D). Pasted text may be wrapped, indented, quoted
with typographic quotes, inside JSON log lines, or hold several messages: each is explained, in
order (with --format json: one JSON object per line, per message).
Example:
  corsair explain \"Access to fetch at 'https://api.example.com/x' from origin 'http://localhost:5173' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\"

With --har FILE, the input is a HAR the browser exported (Chromium, Firefox, Safari): every
cross-origin request in it is judged on its recorded answers; failures are listed, passes
counted (--all lists them too). What the file lacks is said, with the `corsair check` command
that asks the server for it.

Exit status:
  0  every message explained (with --live: the server now allows every request; with --har:
     every cross-origin request in the file passed)
  1  with --live: the server still blocks a request; with --har: a request was blocked, or the
     file lacks what judging it needs
  2  no input, not a CORS message, a message corsair does not recognise, bad flags, (with
     --live) could not check, or (with --har) the file is unreadable, not a HAR, or too large";

/// Flags of `corsair explain`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXPLAIN_HELP)]
pub struct ExplainArgs {
    /// The console message (Chromium's "Access to fetch at ..." or Firefox's "Cross-Origin
    /// Request Blocked ..."); `-` or nothing reads standard input.
    #[arg(conflicts_with = "har")]
    pub message: Option<String>,
    /// Read a HAR file the browser exported instead, and explain every cross-origin request
    /// that failed in it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["live", "origin", "method", "headers", "credentials"])]
    pub har: Option<std::path::PathBuf>,
    /// With --har: list the requests that passed too (otherwise counted only).
    #[arg(long, requires = "har")]
    pub all: bool,
    /// Also run `corsair check` on the message's URL and origin.
    #[arg(long)]
    pub live: bool,
    /// The page's origin, when the message has none (Firefox) or to try another.
    #[arg(long)]
    pub origin: Option<String>,
    /// The method the page used, when the message does not say.
    #[arg(long, short = 'X')]
    pub method: Option<String>,
    /// A request header the page sets, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// fetch()'s credentials mode, when the message does not imply it.
    #[arg(long, value_enum)]
    pub credentials: Option<CredentialsArg>,
    /// How to reach the server (with --live).
    #[command(flatten)]
    pub net: NetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The server software to write the fix for.
    #[arg(long, value_enum)]
    pub stack: Option<Stack>,
}

/// Runs `corsair explain`: every message in the input, in order; the worst status wins.
pub fn run(args: ExplainArgs, stdin: &mut dyn Read, prompt: bool, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    if let Some(path) = &args.har {
        return crate::cmd::explain_har::run(&args, path, out, err);
    }
    let text = match args.message.as_deref() {
        Some(m) if m != "-" => m.to_owned(),
        _ => {
            if prompt && args.message.is_none() {
                let _ =
                    writeln!(err, "Paste the browser's console message, then press Ctrl-D (Ctrl-Z, Enter on Windows):");
            }
            let mut buf = String::new();
            if let Err(e) = stdin.take(1 << 20).read_to_string(&mut buf) {
                let _ = writeln!(err, "corsair: cannot read standard input: {e}");
                return Status::Usage;
            }
            buf
        }
    };
    let messages = match console::parse_all(&text) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "corsair: {e}");
            return Status::Usage;
        }
    };
    let mut worst = Status::Ok;
    let count = messages.len();
    for (i, message) in messages.iter().enumerate() {
        if args.format == Format::Text && count > 1 {
            let s = Style::for_stdout();
            let _ =
                writeln!(out, "{}{}", if i > 0 { "\n" } else { "" }, s.bold(&format!("Message {} of {count}", i + 1)));
        }
        let status = explain_one(&args, message, out, err);
        worst = worst.max(status);
    }
    worst
}

/// Explains one message (and checks it with --live).
fn explain_one(args: &ExplainArgs, message: &Message, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let request = live_request(args, message);
    let live = if args.live {
        // A failed preflight means the page's request was not a simple GET: checking one would
        // answer a different question.
        let preflight = message.error.as_ref().is_some_and(CorsError::is_preflight);
        if preflight && stated_method(message, args).is_none() && requested_headers(message, args).is_empty() {
            let _ = writeln!(
                err,
                "corsair: --live: the message is about a preflight, so the page's request was not a simple GET; give its method and headers with -X METHOD and -H 'Name: value'"
            );
            return Status::Usage;
        }
        let Some(request) = request else {
            let _ = writeln!(
                err,
                "corsair: --live needs the page's origin and the URL: this message does not name both; add --origin ORIGIN"
            );
            return Status::Usage;
        };
        let (intent, options) = match request.intent().and_then(|i| Ok((i, args.net.options()?))) {
            Ok(x) => x,
            Err(check::UsageError(m)) => {
                let _ = writeln!(err, "corsair: {m}");
                return Status::Usage;
            }
        };
        match check::probe(intent.clone(), options) {
            Ok(t) => Some((intent, t)),
            Err(m) => {
                let _ = writeln!(err, "corsair: {m}");
                return Status::Usage;
            }
        }
    } else {
        None
    };
    let conclusion = live.as_ref().map(|(_, t)| conclude(message, &t.verdict));
    match args.format {
        Format::Json => {
            let live =
                live.as_ref().map(|(_, t)| CheckReport::of(t, args.stack.or_else(|| crate::snippet::detect(t)), &[]));
            let doc = ExplainReport::new(message.to_json(&stated(args)), live, conclusion.as_ref().map(|c| c.word));
            let _ = report::write_json(out, &doc);
        }
        Format::Text => {
            let s = Style::for_stdout();
            let _ = write_text(out, message, args, s);
            if let Some((intent, t)) = &live {
                let _ = writeln!(out, "\n{}", s.bold("Live check"));
                let output = Output { format: Format::Text, stack: args.stack, read: Vec::new() };
                let status = check::report(&output, intent, t, out, err);
                if status == Status::Usage {
                    return status;
                }
                if let Some(c) = &conclusion {
                    let _ = writeln!(out, "\n{}", s.bold(&c.sentence));
                }
            }
        }
    }
    match &live {
        Some((_, t)) if t.transport_error().is_some() => Status::Usage,
        Some((_, t)) if t.verdict.is_allowed() => Status::Ok,
        Some(_) => Status::Findings,
        None if message.is_explained() => Status::Ok,
        // Not explained: not a success, whatever was read.
        None => Status::Usage,
    }
}

/// What the live check says about the pasted error.
struct Conclusion {
    word: &'static str,
    sentence: String,
}

fn conclude(message: &Message, verdict: &Verdict) -> Conclusion {
    match verdict {
        Verdict::Allowed(_) => {
            Conclusion { word: "fixed", sentence: "The server now allows this request: the error is gone.".to_owned() }
        }
        Verdict::Blocked(b) => {
            let now = b.cors_error().map(CorsError::chromium_name);
            let then = message.error.as_ref().map(CorsError::chromium_name);
            if now.is_some() && now == then {
                Conclusion {
                    word: "same",
                    sentence: format!("The server still fails the same way ({}).", now.unwrap_or_default()),
                }
            } else {
                Conclusion {
                    word: "different",
                    sentence: format!("The server now fails differently: {}", b.console_message()),
                }
            }
        }
    }
}

/// The request the message describes, for `check`: what the error implies, then the flags.
fn live_request(args: &ExplainArgs, m: &Message) -> Option<CheckRequest> {
    let origin = args.origin.clone().or_else(|| m.page_origin.clone())?;
    let url = m.initial_url.clone().or_else(|| m.url.clone())?;
    let mut method = args.method.clone().or_else(|| m.method.clone());
    let mut headers = args.headers.clone();
    let mut credentials = args.credentials;
    match &m.error {
        Some(CorsError::MethodDisallowedByPreflightResponse { method: x }) if !x.is_empty() => {
            method.get_or_insert_with(|| x.clone());
        }
        Some(CorsError::HeaderDisallowedByPreflightResponse { name })
            if !name.is_empty() && !headers.iter().any(|h| h.to_ascii_lowercase().starts_with(&format!("{name}:"))) =>
        {
            headers.push(format!("{name}: 1"));
        }
        _ => {}
    }
    if m.credentials_included(&Stated::default()) {
        credentials.get_or_insert(CredentialsArg::Include);
    }
    Some(CheckRequest {
        url,
        origin,
        method: method.unwrap_or_else(|| "GET".to_owned()),
        headers,
        credentials: credentials.unwrap_or(CredentialsArg::SameOrigin).into(),
        redirect: RedirectMode::Follow,
    })
}

/// What the flags say about the request, for the core's reading of the message.
fn stated(args: &ExplainArgs) -> Stated<'_> {
    Stated {
        origin: args.origin.as_deref(),
        method: args.method.as_deref(),
        headers: &args.headers,
        include_credentials: args.credentials == Some(CredentialsArg::Include),
    }
}

/// The method the message or the flags name, if any.
fn stated_method<'a>(m: &'a Message, args: &'a ExplainArgs) -> Option<&'a str> {
    m.stated_method(&stated(args))
}

fn requested_headers(m: &Message, args: &ExplainArgs) -> Vec<String> {
    m.requested_headers(&stated(args))
}

fn write_text(out: &mut dyn Write, m: &Message, args: &ExplainArgs, s: Style) -> std::io::Result<()> {
    let browser = m.browser.map_or("A browser", Browser::name);
    match (&m.error, &m.other) {
        (Some(e), _) => {
            let name = match m.browser {
                Some(Browser::Firefox) => m.firefox_code().unwrap_or_else(|| e.chromium_name()),
                _ => e.chromium_name(),
            };
            writeln!(out, "{} {browser} reports {}", s.red("BLOCKED"), s.bold(name))?;
        }
        (None, Some(o)) if o.is_warning() => {
            writeln!(out, "{} {browser} warns {}", s.yellow("WARNING"), s.bold(o.name()))?
        }
        (None, Some(o)) => writeln!(out, "{} {browser} reports {}", s.red("BLOCKED"), s.bold(o.name()))?,
        (None, None) => writeln!(
            out,
            "{} {browser} reports a CORS failure corsair does not recognise: {}",
            s.red("NOT RECOGNISED"),
            if m.detail.is_empty() { "(the message is cut off)" } else { &m.detail }
        )?,
    }
    if let Some(u) = &m.url {
        writeln!(out, "  URL:     {u}")?;
    }
    if let Some(i) = &m.initial_url {
        writeln!(out, "  (redirected from {i})")?;
    }
    if let Some(r) = &m.redirect_to {
        writeln!(out, "  Redirect to: {r}")?;
    }
    if let Some(o) = args.origin.as_ref().or(m.page_origin.as_ref()) {
        writeln!(out, "  Origin:  {o}")?;
    }
    if let Some(status) = m.status {
        writeln!(out, "  Status:  {status}")?;
        let missing =
            matches!(m.error, Some(CorsError::MissingAllowOriginHeader | CorsError::PreflightMissingAllowOriginHeader));
        if missing && !(200..300).contains(&status) {
            writeln!(
                out,
                "  A {status} without CORS headers: error answers need them too (nginx: `add_header ... always`), and a preflight must be answered before authentication or routing rejects it."
            )?;
        }
    }
    if let Some(e) = &m.error {
        if e.is_preflight() {
            writeln!(out, "  It was the OPTIONS preflight, sent before the request itself, that failed.")?;
        }
        writeln!(out, "\nWhy:\n  {}", e.explanation())?;
        if m.browser == Some(Browser::WebKit) && matches!(e, CorsError::MissingAllowOriginHeader) {
            writeln!(out, "  (Safari prints this both when the header is missing and when it names another origin.)")?;
        }
        // Some for every message with an error.
        if let Some(fix) = m.fix(&stated(args)) {
            writeln!(out, "\nFix:\n  {}", fix.summary)?;
            for (n, v) in &fix.headers {
                writeln!(out, "    {}", s.green(&format!("{n}: {v}")))?;
            }
            for r in &fix.remove {
                writeln!(out, "    {}", s.red(&format!("remove {r}")))?;
            }
        }
    } else if let Some(o) = &m.other {
        writeln!(out, "\nWhy:\n  {}", o.explanation())?;
        writeln!(out, "\nFix:\n  {}", o.advice())?;
    } else {
        writeln!(out, "\nNext:")?;
        match (&m.url, args.origin.as_ref().or(m.page_origin.as_ref())) {
            (Some(u), Some(o)) => writeln!(out, "  corsair check {u} --origin {o}")?,
            (Some(u), None) => writeln!(out, "  corsair check {u} --origin <the page's origin>")?,
            _ => writeln!(out, "  paste the whole message, with its URL (or run corsair check URL --origin ORIGIN)")?,
        }
        writeln!(out, "  shows what the server answers and which check fails.")?;
        return Ok(());
    }
    if !args.live {
        writeln!(
            out,
            "\nRun with --live to see whether the server still does this, and get a snippet for its software."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn explain_args(argv: &[&str]) -> ExplainArgs {
        match Cli::try_parse_from(argv) {
            Ok(Cli { command: Command::Explain(args), .. }) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_terminal_gets_a_prompt_and_a_pipe_does_not() {
        let pasted = "Access to fetch at 'http://a.test/x' from origin 'http://b.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.";
        for (prompt, argv) in [
            (true, vec!["corsair", "explain"]),
            (false, vec!["corsair", "explain"]),
            (true, vec!["corsair", "explain", "-"]),
        ] {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let status = run(explain_args(&argv), &mut pasted.as_bytes(), prompt, &mut out, &mut err);
            assert_eq!(status, Status::Ok);
            let asked = String::from_utf8_lossy(&err).contains("Paste the browser's console message");
            // `-` says the input is on its way: no prompt even on a terminal.
            assert_eq!(asked, prompt && argv.len() == 2, "{argv:?}");
            assert!(String::from_utf8_lossy(&out).contains("kMissingAllowOriginHeader"));
        }
    }
}
