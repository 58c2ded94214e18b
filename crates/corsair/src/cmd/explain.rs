//! `corsair explain 'Access to fetch at ...'`: read a pasted console error, say what it means and
//! what to change; with `--live`, run `corsair check` on the same URL and origin and say whether
//! the server still does it.

use std::io::{Read, Write};

use clap::Args;
use corsair_core::browser::Verdict;
use corsair_core::console::{self, Browser, Message};
use corsair_core::cors_error::{CorsError, FixContext};
use serde_json::{json, Value};

use crate::cli::Status;
use crate::cmd::check::{self, CheckArgs, CredentialsArg, Format, NetArgs, RedirectArg};
use crate::cmd::style::Style;
use crate::snippet::Stack;

const EXPLAIN_HELP: &str = "\
The message comes from the argument, or from standard input when it is absent or `-`.
Example:
  corsair explain \"Access to fetch at 'https://api.example.com/x' from origin 'http://localhost:5173' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\"

Exit status:
  0  explained (with --live: the server now allows the request)
  1  with --live: the server still blocks it
  2  not a CORS message, bad flags, or (with --live) could not check";

/// Flags of `corsair explain`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXPLAIN_HELP)]
pub struct ExplainArgs {
    /// The console message (Chromium's "Access to fetch at ..." or Firefox's "Cross-Origin
    /// Request Blocked ..."); `-` or nothing reads standard input.
    pub message: Option<String>,
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

/// Runs `corsair explain`.
pub fn run(args: ExplainArgs, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let text = match args.message.as_deref() {
        Some(m) if m != "-" => m.to_owned(),
        _ => {
            let mut buf = String::new();
            if let Err(e) = stdin.take(1 << 20).read_to_string(&mut buf) {
                let _ = writeln!(err, "corsair: cannot read standard input: {e}");
                return Status::Usage;
            }
            buf
        }
    };
    let message = match console::parse(&text) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "corsair: {e}");
            return Status::Usage;
        }
    };
    let check_args = live_args(&args, &message);
    let live = if args.live {
        let Some(check_args) = check_args.clone() else {
            let _ = writeln!(
                err,
                "corsair: --live needs the page's origin: this message does not name it; add --origin ORIGIN"
            );
            return Status::Usage;
        };
        let (intent, options) = match check_args.intent() {
            Ok(x) => x,
            Err(check::UsageError(m)) => {
                let _ = writeln!(err, "corsair: {m}");
                return Status::Usage;
            }
        };
        match check::probe(intent.clone(), options) {
            Ok(t) => Some((check_args, intent, t)),
            Err(m) => {
                let _ = writeln!(err, "corsair: {m}");
                return Status::Usage;
            }
        }
    } else {
        None
    };
    let conclusion = live.as_ref().map(|(_, _, t)| conclude(&message, &t.verdict));
    match args.format {
        Format::Json => {
            let live_json =
                live.as_ref().map(|(a, _, t)| check::to_json(t, a.stack.or_else(|| crate::snippet::detect(t)), &[]));
            let _ = writeln!(out, "{}", to_json(&message, &args, live_json, conclusion.as_ref()));
        }
        Format::Text => {
            let s = Style::for_stdout();
            let _ = write_text(out, &message, &args, s);
            if let Some((a, intent, t)) = &live {
                let _ = writeln!(out, "\n{}", s.bold("Live check"));
                let status = check::report(a, intent, t, out, err);
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
        None => Status::Ok,
        Some((_, _, t)) if t.transport_error().is_some() => Status::Usage,
        Some((_, _, t)) if t.verdict.is_allowed() => Status::Ok,
        Some(_) => Status::Findings,
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

/// The request the message describes, as `check` flags: what the error implies, then the flags.
fn live_args(args: &ExplainArgs, m: &Message) -> Option<CheckArgs> {
    let origin = args.origin.clone().or_else(|| m.page_origin.clone())?;
    let mut method = args.method.clone();
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
        Some(
            CorsError::WildcardOriginNotAllowed
            | CorsError::PreflightWildcardOriginNotAllowed
            | CorsError::InvalidAllowCredentials { .. }
            | CorsError::PreflightInvalidAllowCredentials { .. },
        ) => {
            credentials.get_or_insert(CredentialsArg::Include);
        }
        _ => {}
    }
    Some(CheckArgs {
        url: m.initial_url.clone().unwrap_or_else(|| m.url.clone()),
        origin,
        method: method.unwrap_or_else(|| "GET".to_owned()),
        headers,
        credentials: credentials.unwrap_or(CredentialsArg::SameOrigin),
        redirect: RedirectArg::Follow,
        net: args.net.clone(),
        format: args.format,
        stack: args.stack,
        read: Vec::new(),
    })
}

fn fix_context<'a>(m: &'a Message, args: &'a ExplainArgs, headers: &'a [String]) -> FixContext<'a> {
    let credentials = matches!(
        m.error,
        Some(
            CorsError::WildcardOriginNotAllowed
                | CorsError::PreflightWildcardOriginNotAllowed
                | CorsError::InvalidAllowCredentials { .. }
                | CorsError::PreflightInvalidAllowCredentials { .. }
        )
    ) || args.credentials == Some(CredentialsArg::Include);
    let method = match &m.error {
        Some(CorsError::MethodDisallowedByPreflightResponse { method }) if !method.is_empty() => method.as_str(),
        _ => args.method.as_deref().unwrap_or("GET"),
    };
    FixContext {
        origin: args.origin.as_deref().or(m.page_origin.as_deref()).unwrap_or("<the page's origin>"),
        credentials,
        method,
        request_headers: headers,
        tainted_url: None,
    }
}

fn requested_headers(m: &Message, args: &ExplainArgs) -> Vec<String> {
    let mut names: Vec<String> =
        args.headers.iter().filter_map(|h| h.split_once(':').map(|(n, _)| n.trim().to_ascii_lowercase())).collect();
    if let Some(CorsError::HeaderDisallowedByPreflightResponse { name }) = &m.error {
        if !name.is_empty() && !names.contains(name) {
            names.push(name.clone());
        }
    }
    names.sort();
    names
}

fn write_text(out: &mut dyn Write, m: &Message, args: &ExplainArgs, s: Style) -> std::io::Result<()> {
    let browser = match m.browser {
        Browser::Chromium => "Chromium",
        Browser::Firefox => "Firefox",
    };
    match &m.error {
        Some(e) => {
            let name = match m.browser {
                Browser::Chromium => e.chromium_name(),
                Browser::Firefox => m.firefox_code.unwrap_or("?"),
            };
            writeln!(out, "{} {browser} reports {}", s.red("BLOCKED"), s.bold(name))?;
        }
        None => writeln!(
            out,
            "{} {browser} reports a CORS failure corsair does not recognise: {}",
            s.red("BLOCKED"),
            m.detail
        )?,
    }
    writeln!(out, "  URL:     {}", m.url)?;
    if let Some(i) = &m.initial_url {
        writeln!(out, "  (redirected from {i})")?;
    }
    if let Some(o) = args.origin.as_ref().or(m.page_origin.as_ref()) {
        writeln!(out, "  Origin:  {o}")?;
    }
    if let Some(e) = &m.error {
        if e.is_preflight() {
            writeln!(out, "  It was the OPTIONS preflight, sent before the request itself, that failed.")?;
        }
        writeln!(out, "\nWhy:\n  {}", e.explanation())?;
        let headers = requested_headers(m, args);
        let fix = e.fix(fix_context(m, args, &headers));
        writeln!(out, "\nFix:\n  {}", fix.summary)?;
        for (n, v) in &fix.headers {
            writeln!(out, "    {}", s.green(&format!("{n}: {v}")))?;
        }
        for r in &fix.remove {
            writeln!(out, "    {}", s.red(&format!("remove {r}")))?;
        }
        if !args.live {
            writeln!(
                out,
                "\nRun with --live to see whether the server still does this, and get a snippet for its software."
            )?;
        }
    }
    Ok(())
}

fn to_json(m: &Message, args: &ExplainArgs, live: Option<Value>, conclusion: Option<&Conclusion>) -> Value {
    let headers = requested_headers(m, args);
    let error = m.error.as_ref().map(|e| {
        let fix = e.fix(fix_context(m, args, &headers));
        json!({
            "kind": e.chromium_name(),
            "firefox_code": m.firefox_code.or_else(|| e.firefox_code()),
            "preflight": e.is_preflight(),
            "explanation": e.explanation(),
            "fix": {
                "summary": fix.summary,
                "headers": fix.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                "remove": fix.remove,
            },
        })
    });
    json!({
        "browser": match m.browser { Browser::Chromium => "chromium", Browser::Firefox => "firefox" },
        "url": m.url,
        "initial_url": m.initial_url,
        "page_origin": args.origin.as_ref().or(m.page_origin.as_ref()),
        "detail": m.detail,
        "error": error,
        "live": live,
        "conclusion": conclusion.map(|c| c.word),
    })
}
