//! `corsair check URL --origin ORIGIN`: ask a live server what the browser would ask, and say
//! what the browser would say, why, and how to fix it.
//!
//! The browser model in `corsair-core` decides every request and judges every answer; the probe
//! moves the bytes; this module only turns flags into an [`Intent`] and the transcript into text
//! or JSON.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::{Args, ValueEnum};
use corsair_core::browser::{
    Blocked, Credentials, Diagnosis, Exposure, Intent, Mode, RedirectMode, Request, ResponseType, SendKind, Verdict,
};
use corsair_core::console::Browser as Engine;
use corsair_core::Origin;
use corsair_probe::{Exchange, Probe, ProbeOptions, Resolve, Run, Stopped, Transcript, Until};

use crate::cmd::style::Style;
use crate::cmd::term::{self, Waiting};
use crate::layers::Layers;
use crate::report;
use crate::report::check::{CheckReport, FirefoxWords, WebKitWords};
use crate::snippet::{self, Stack};
use crate::status::Status;

const CHECK_HELP: &str = "\
Without --preflight-only, check sends the real request after the preflight, as the browser
would: a PUT or DELETE really changes data on the server.

Exit status:
  0  the browser would allow the request (with --preflight-only: the preflight passed, or none
     is needed and nothing was sent)
  1  the browser would block it (the console message and the fix are printed)
  2  could not check: bad flags, DNS, connection refused, TLS, timeout (one line on stderr)";

/// `corsair check`'s flags: those `explain --live` reproduces a message with, and what only
/// check sends.
#[derive(Debug, Clone, Args)]
#[command(after_help = CHECK_HELP)]
pub struct CheckCommand {
    /// What the page fetches and how to reach the server.
    #[command(flatten)]
    pub check: CheckArgs,
    /// The body, and how far to go.
    #[command(flatten)]
    pub send: SendArgs,
    /// Whether -X was given: a body turns only the default GET into POST, as in curl.
    #[arg(skip)]
    pub method_given: bool,
    /// Whose words to print: Chromium's console message, Firefox ESR's console lines and reason
    /// code, WebKit's two console lines, or all three, saying where they differ. The verdict is
    /// one model with each engine's request rules.
    #[arg(long, value_enum, default_value_t = BrowserChoice::Chromium)]
    pub browser: BrowserChoice,
}

/// `--browser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BrowserChoice {
    /// Chromium (Chrome, Edge, ...).
    Chromium,
    /// Firefox ESR.
    Firefox,
    /// WebKit (Safari's engine).
    Webkit,
    /// Chromium, Firefox and WebKit, one verdict each.
    All,
}

impl BrowserChoice {
    /// The engines to print, in order.
    pub fn engines(self) -> &'static [Engine] {
        match self {
            BrowserChoice::Chromium => &[Engine::Chromium],
            BrowserChoice::Firefox => &[Engine::Firefox],
            BrowserChoice::Webkit => &[Engine::WebKit],
            BrowserChoice::All => &[Engine::Chromium, Engine::Firefox, Engine::WebKit],
        }
    }
}

/// The request body and `--preflight-only`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// A text body, as curl's -d (repeats joined with `&`; `@FILE` reads a file without its line
    /// breaks). The page sends it as a string: `Content-Type: text/plain;charset=UTF-8` unless
    /// -H sets one. Without -X the method is POST.
    #[arg(long = "data", short = 'd', value_name = "TEXT")]
    pub data: Vec<String>,
    /// A body sent byte for byte, as curl's --data-binary (`@FILE` reads a file as is); no
    /// Content-Type unless -H sets one. Without -X the method is POST.
    #[arg(long = "data-binary", value_name = "DATA", conflicts_with = "data")]
    pub data_binary: Option<String>,
    /// Stop after the preflight: the request itself, which may change data, is not sent.
    #[arg(long)]
    pub preflight_only: bool,
}

/// The body the page sends.
struct PageBody {
    bytes: Vec<u8>,
    /// The `Content-Type` fetch() gives it when the script sets none.
    content_type: Option<&'static str>,
}

impl SendArgs {
    /// The body, if the flags give one.
    fn body(&self) -> Result<Option<PageBody>, UsageError> {
        let read = |flag: &str, path: &str| {
            std::fs::read(path).map_err(|e| UsageError(format!("{flag} @{path}: cannot read the file: {e}")))
        };
        if let Some(data) = &self.data_binary {
            let body = match data.strip_prefix('@') {
                Some(path) => read("--data-binary", path)?,
                None => data.clone().into_bytes(),
            };
            return Ok(Some(PageBody { bytes: body, content_type: None }));
        }
        if self.data.is_empty() {
            return Ok(None);
        }
        let mut parts = Vec::new();
        for d in &self.data {
            parts.push(match d.strip_prefix('@') {
                // curl -d @FILE drops carriage returns and newlines.
                Some(path) => read("-d", path)?.into_iter().filter(|b| !matches!(b, b'\r' | b'\n')).collect(),
                None => d.clone().into_bytes(),
            });
        }
        Ok(Some(PageBody { bytes: parts.join(&b'&'), content_type: Some("text/plain;charset=UTF-8") }))
    }
}

/// Flags of `corsair check` that `explain --live` shares.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The URL the page fetches.
    pub url: String,
    /// The page's origin, e.g. http://localhost:5173.
    #[arg(long)]
    pub origin: String,
    /// The method the page uses (as written in fetch(): `patch` stays lower case).
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// A request header the page sets, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// fetch()'s credentials mode.
    #[arg(long, value_enum, default_value_t = CredentialsArg::SameOrigin)]
    pub credentials: CredentialsArg,
    /// fetch()'s redirect mode.
    #[arg(long, value_enum, default_value_t = RedirectArg::Follow)]
    pub redirect: RedirectArg,
    /// How to reach the server.
    #[command(flatten)]
    pub net: NetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The server software to write the fix for (default: detected from Server / X-Powered-By).
    #[arg(long, value_enum)]
    pub stack: Option<Stack>,
    /// A response header the page wants to read (repeatable): warns when script cannot read it,
    /// saying whether it is not exposed or not in this response.
    #[arg(long = "read", value_name = "NAME")]
    pub read: Vec<String>,
}

/// How the probe reaches servers; shared by `check` and `explain --live`.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Connect to ADDR for HOST on PORT (`*`: any port) instead of asking DNS, as curl's --resolve
    /// (repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Accept any TLS certificate (self-signed development servers).
    #[arg(long, short = 'k')]
    pub insecure: bool,
}

impl NetArgs {
    /// The probe's options, or what is wrong with the flags.
    pub fn options(&self) -> Result<ProbeOptions, UsageError> {
        let mut resolve = Vec::new();
        for r in &self.resolve {
            resolve.push(r.parse::<Resolve>().map_err(|e| UsageError(format!("--resolve: {e}")))?);
        }
        if !(self.timeout > 0.0 && self.timeout <= 3600.0) {
            return Err(UsageError(format!("--timeout {}: give seconds between 0 and 3600", self.timeout)));
        }
        Ok(ProbeOptions {
            resolve,
            timeout: Duration::from_secs_f64(self.timeout),
            insecure: self.insecure,
            ..ProbeOptions::default()
        })
    }
}

/// `--credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialsArg {
    /// Never send cookies.
    Omit,
    /// Cookies to the page's own origin only (fetch's default).
    SameOrigin,
    /// Always send cookies (`credentials: 'include'`).
    Include,
}

impl From<CredentialsArg> for Credentials {
    fn from(c: CredentialsArg) -> Credentials {
        match c {
            CredentialsArg::Omit => Credentials::Omit,
            CredentialsArg::SameOrigin => Credentials::SameOrigin,
            CredentialsArg::Include => Credentials::Include,
        }
    }
}

/// `--redirect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedirectArg {
    /// Follow redirects (fetch's default).
    Follow,
    /// Fail on a redirect.
    Error,
    /// Stop at the redirect (an opaque-redirect response).
    Manual,
}

/// `--format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people; colour only on a terminal.
    #[default]
    Text,
    /// A stable contract for CI and other tools.
    Json,
}

/// A usage problem, reported on one line with exit status 2.
pub struct UsageError(pub String);

/// The page's request as `check` takes it from any caller (its own flags, `explain --live`):
/// typed values, no clap. The strings are the user's, checked by [`CheckRequest::intent`].
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// The URL the page fetches.
    pub url: String,
    /// The page's origin.
    pub origin: String,
    /// The method, as written in fetch().
    pub method: String,
    /// Request headers the page sets, `Name: value`.
    pub headers: Vec<String>,
    /// fetch()'s credentials mode.
    pub credentials: Credentials,
    /// fetch()'s redirect mode.
    pub redirect: RedirectMode,
}

impl CheckRequest {
    /// The page's intent, or what is wrong with the request's strings.
    pub fn intent(&self) -> Result<Intent, UsageError> {
        if let Some(fixed) = missing_scheme(&self.url) {
            return Err(UsageError(format!("`{}` has no scheme; write {fixed}", self.url)));
        }
        let url: url::Url = self.url.parse().map_err(|e| {
            UsageError(format!("`{}` is not a URL ({e}); write e.g. https://api.example.com/items", self.url))
        })?;
        if let Some(fixed) = missing_scheme(&self.origin) {
            return Err(UsageError(format!("--origin `{}` has no scheme; write {fixed}", self.origin)));
        }
        let origin = Origin::parse(&self.origin).map_err(|e| UsageError(format!("--origin: {e}")))?;
        let mut intent = Intent::new(url, origin)
            .method(&self.method)
            .credentials(self.credentials)
            .redirect(self.redirect)
            .mode(Mode::Cors);
        for line in &self.headers {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| UsageError(format!("-H `{line}`: header lines are `Name: value`")))?;
            let name = name.trim();
            if !corsair_core::token::is_token(name.as_bytes()) {
                return Err(UsageError(format!("-H `{line}`: `{name}` is not a header name")));
            }
            intent = intent.header(name, value.trim());
        }
        Ok(intent)
    }
}

/// How to report a finished check: the format, the stack to write the fix for (else
/// detected), and the `--read` headers to warn about.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Text or JSON.
    pub format: Format,
    /// The server software the fix is written for.
    pub stack: Option<Stack>,
    /// Response headers the page wants to read.
    pub read: Vec<String>,
}

impl CheckArgs {
    /// The flags' request, as [`CheckRequest`].
    pub fn request(&self) -> CheckRequest {
        CheckRequest {
            url: self.url.clone(),
            origin: self.origin.clone(),
            method: self.method.clone(),
            headers: self.headers.clone(),
            credentials: self.credentials.into(),
            redirect: match self.redirect {
                RedirectArg::Follow => RedirectMode::Follow,
                RedirectArg::Error => RedirectMode::Error,
                RedirectArg::Manual => RedirectMode::Manual,
            },
        }
    }

    /// The flags' output choices, as [`Output`].
    pub fn output(&self) -> Output {
        Output { format: self.format, stack: self.stack, read: self.read.clone() }
    }

    /// The page's intent and the probe's options, or what is wrong with the flags.
    pub fn intent(&self) -> Result<(Intent, ProbeOptions), UsageError> {
        let intent = self.request().intent()?;
        let options = self.net.options()?;
        Ok((intent, options))
    }
}

/// Schemes whose URLs have no `//`: a page can really be on one (its origin is `null`).
const SCHEMES_WITHOUT_AUTHORITY: [&str; 5] = ["data", "blob", "about", "javascript", "mailto"];

/// The text with the scheme it most likely lacks, when it has none.
///
/// `localhost:3000` parses as a URL with the scheme `localhost`, whose origin is `null`; taken
/// as is, check would send `Origin: null` and suggest allowing `null`.
fn missing_scheme(text: &str) -> Option<String> {
    let text = text.trim();
    if text == "null" {
        return None;
    }
    if let Ok(url) = url::Url::parse(text) {
        if url.has_host() || SCHEMES_WITHOUT_AUTHORITY.contains(&url.scheme()) {
            return None;
        }
    }
    let guess = url::Url::parse(&format!("http://{text}")).ok()?;
    let host = guess.host_str()?;
    let local = host == "localhost"
        || host.ends_with(".localhost")
        || host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok();
    Some(format!("{}://{text}", if local { "http" } else { "https" }))
}

/// Runs `corsair check`.
pub fn run(command: CheckCommand, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let args = &command.check;
    let with_body = |(i, o)| Ok((with_body(i, &command.send, command.method_given)?, o));
    let (intent, options) = match args.intent().and_then(with_body) {
        Ok(x) => x,
        Err(UsageError(m)) => return could_not_run(args.format, "usage", &m, out, err),
    };
    // Firefox's safelist is narrower: its verdict may need a preflight Chromium never sends.
    let intent = match command.browser {
        BrowserChoice::Firefox => intent.engine(Engine::Firefox),
        BrowserChoice::Webkit => intent.engine(Engine::WebKit),
        BrowserChoice::Chromium | BrowserChoice::All => intent,
    };
    let until = if command.send.preflight_only { Until::Preflight } else { Until::Verdict };
    match probe_on_terminal(intent.clone(), options.clone(), until, err) {
        Ok(Run::Done(t)) => {
            let layers = layers_of(&intent, &t, options);
            report_for(&args.output(), &intent, &t, command.browser.engines(), Some(&layers), out, err)
        }
        Ok(Run::Stopped(stopped)) => report_stopped(args.format, &intent, &stopped, out),
        Err(m) => could_not_run(args.format, "could_not_check", &m, out, err),
    }
}

/// The intent with the page's body: like curl, a body makes the default method POST (fetch()
/// itself refuses a body with GET or HEAD, which the model reports).
fn with_body(mut intent: Intent, send: &SendArgs, method_given: bool) -> Result<Intent, UsageError> {
    let Some(PageBody { bytes, content_type }) = send.body()? else { return Ok(intent) };
    if !method_given {
        intent = intent.method("POST");
    }
    if let Some(ct) = content_type {
        if !intent.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
            intent = intent.header("Content-Type", ct);
        }
    }
    Ok(intent.body(bytes))
}

/// Reports a check that sent nothing: one line on stderr and, for `--format json`, a document
/// whose verdict says so, so that a tool reading stdout never takes it for "blocked".
fn could_not_run(
    format: Format,
    kind: &'static str,
    message: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Status {
    let _ = writeln!(err, "corsair: {message}");
    if format == Format::Json {
        let _ = report::write_json(out, &CheckReport::not_checked(kind, message));
    }
    Status::Usage
}

/// Runs the probe on a small runtime of its own.
pub fn probe(intent: Intent, options: ProbeOptions) -> Result<Transcript, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    let probe = Probe::new(options).map_err(|e| e.to_string())?;
    Ok(runtime.block_on(probe.run(intent)))
}

/// Runs the probe like [`probe`]; when stderr is a terminal, a slow exchange shows what it is
/// waiting for (a server that hangs looks the same as corsair hanging otherwise).
fn probe_on_terminal(intent: Intent, options: ProbeOptions, until: Until, err: &mut dyn Write) -> Result<Run, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    let probe = Probe::new(options).map_err(|e| e.to_string())?;
    if !std::io::stderr().is_terminal() {
        return Ok(runtime.block_on(probe.run_until(intent, until, &mut |_| {})));
    }
    let waiting = RefCell::new(Waiting::default());
    let err = RefCell::new(err);
    let run = runtime.block_on(async {
        let mut on_send = |r: &Request| waiting.borrow_mut().sent(r.url.as_str());
        tokio::select! {
            run = probe.run_until(intent, until, &mut on_send) => run,
            never = term::show_waiting(&waiting, &err, term::WAIT_BEFORE_SHOWING) => match never {},
        }
    });
    term::clear_waiting(&waiting, *err.borrow_mut());
    Ok(run)
}

/// The layers the answers show; when there are two (or a CORS header came twice), the extra
/// request that tells their lines apart ([`Layers::extra_request`]) is sent and read.
fn layers_of(intent: &Intent, t: &Transcript, options: ProbeOptions) -> Layers {
    let mut layers = Layers::seen(t);
    if t.verdict.is_allowed() || !layers.two() {
        return layers;
    }
    let Some((extra, until)) = Layers::extra_request(intent, t) else { return layers };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return layers };
    let Ok(probe) = Probe::new(options) else { return layers };
    match runtime.block_on(probe.run_until(extra, until, &mut |_| {})) {
        Run::Done(t) => layers.attribute(&t.exchanges),
        Run::Stopped(s) => layers.attribute(&s.exchanges),
    }
    layers
}

/// Prints the transcript in the chosen format and picks the exit status.
pub fn report(output: &Output, intent: &Intent, t: &Transcript, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    report_for(output, intent, t, &[Engine::Chromium], None, out, err)
}

/// [`report`] in the words of each of `engines`.
fn report_for(
    args: &Output,
    intent: &Intent,
    t: &Transcript,
    engines: &[Engine],
    layers: Option<&Layers>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Status {
    let stack = args.stack.or_else(|| snippet::detect(t));
    let layers = layers.filter(|l| l.two() && !t.verdict.is_allowed());
    let read_warnings = unreadable(&args.read, t, intent.credentials == Credentials::Include);
    let unprobed = unprobed_engines(intent, t);
    let mut doc = CheckReport::of(t, stack, &read_warnings);
    if let Some(l) = layers {
        doc = doc.with_layers(l);
    }
    for engine in &unprobed {
        doc.engine_not_checked(*engine);
    }
    let written = match args.format {
        Format::Json => report::write_json(out, &doc),
        Format::Text => {
            let (s, columns) = (Style::for_stdout(), term::stdout_columns());
            let shown: Vec<Engine> = engines.iter().copied().filter(|e| !unprobed.contains(e)).collect();
            let mut text = write_text(out, intent, t, &doc, &shown, stack, layers, s, columns);
            for engine in unprobed.iter().filter(|e| engines.contains(e)) {
                text = text.and_then(|()| {
                    writeln!(
                        out,
                        "\n{}: NOT CHECKED: it would send other requests here (its safelist, its Access-Control-Request-Headers and its preflights after a redirect differ from {}'s); run with --browser {} for its verdict",
                        engine.name(),
                        intent.engine.name(),
                        engine_key(*engine),
                    )
                });
            }
            text
        }
    };
    let _ = written;
    if let Some(e) = t.transport_error() {
        let url = t.exchanges.last().map(|x| x.request.url.to_string()).unwrap_or_default();
        let _ = writeln!(err, "corsair: could not check {url}: {}", crate::advice::transport(e));
        return Status::Usage;
    }
    if t.verdict.is_allowed() {
        Status::Ok
    } else {
        Status::Findings
    }
}

/// The engines this probe does not speak for: those whose model, replaying the exchanges, asks
/// for a request that was not sent (Firefox's and WebKit's narrower safelists, their own
/// Access-Control-Request-Headers and preflights after a redirect). Only requests differ between
/// the engines' models, so when the replay matches, so does the verdict.
fn unprobed_engines(intent: &Intent, t: &Transcript) -> Vec<Engine> {
    use corsair_core::browser::{Fetch, Step};
    let replays = |engine: Engine| {
        let mut fetch = Fetch::new(intent.clone().engine(engine));
        for x in &t.exchanges {
            match fetch.next() {
                Step::Send(r) if r == x.request => match &x.response {
                    Ok(received) => fetch.receive(received.response.clone()),
                    Err(e) => fetch.fail(e.net_error()),
                },
                _ => return false,
            }
        }
        matches!(fetch.next(), Step::Done(_))
    };
    ALL_ENGINES.into_iter().filter(|e| *e != intent.engine && !replays(*e)).collect()
}

/// Every engine the model speaks for, in the order `--browser all` prints them.
const ALL_ENGINES: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::WebKit];

/// The engine's `--browser` value and key in the JSON's `engines`.
fn engine_key(engine: Engine) -> &'static str {
    match engine {
        Engine::Chromium => "chromium",
        Engine::Firefox => "firefox",
        Engine::WebKit => "webkit",
    }
}

/// `--read NAME` headers the page could not read, as warnings that say why: not exposed, or
/// exposed but absent from this response (another status or path may carry it).
fn unreadable(wanted: &[String], t: &Transcript, include: bool) -> Vec<String> {
    let Verdict::Allowed(a) = &t.verdict else { return Vec::new() };
    let Some(Ok(last)) = t.exchanges.last().map(|x| &x.response) else { return Vec::new() };
    let exposure = Exposure::of(&last.response, a.response_type, include);
    let carried = last.response.header_names();
    wanted
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| !a.readable_headers.contains(w))
        .map(|w| {
            let present = carried.contains(&w);
            if matches!(a.response_type, ResponseType::Opaque | ResponseType::OpaqueRedirect) {
                format!("script cannot read `{w}`: an `{}` response shows no headers", a.response_type.as_str())
            } else if exposure.lets_read(&w) {
                format!("`{w}` is exposed, but this response does not carry it: script reads null (the server sends it on other answers, or not at all)")
            } else if present {
                format!("script cannot read `{w}`: the response carries it, but Access-Control-Expose-Headers does not list it; add it there (only the seven safelisted headers are readable without it)")
            } else {
                format!("script cannot read `{w}`: this response does not carry it, and Access-Control-Expose-Headers does not list it either")
            }
        })
        .collect()
}

/// Where Firefox's words say something Chromium's do not, for `--browser all`.
fn engine_differences(b: &Blocked) -> Vec<String> {
    let mut out = Vec::new();
    let chromium_kind = b.cors_error().map(|e| e.chromium_name());
    let expected = b.cors_error().and_then(|e| e.firefox_code());
    match (b.firefox_code(), chromium_kind) {
        (Some(code), Some(kind)) if Some(code) != expected => out.push(format!(
            "Firefox judges this response differently: {code}, where Chromium reports {kind} (whose Firefox counterpart is {})",
            expected.unwrap_or("none")
        )),
        (None, Some(kind)) => out.push(format!("Firefox prints no CORS line for this; Chromium reports {kind}")),
        _ => {}
    }
    let lines = b.firefox_console_lines();
    if lines.len() > 1 && lines.last().is_some_and(|l| l.contains("(Reason: CORS request did not succeed)")) {
        out.push("Firefox adds a second line, \"CORS request did not succeed\": it is a consequence, the line before it is the cause".to_owned());
    }
    if lines.first().is_some_and(|l| l.contains(" Status code: ")) {
        out.push("Firefox names the response status; Chromium's message does not".to_owned());
    }
    let webkit = b.webkit_console_lines();
    let status_first = matches!(
        b.cors_error(),
        Some(e) if e.is_preflight() && !matches!(e, corsair_core::CorsError::PreflightInvalidStatus { .. })
    );
    if status_first && webkit.first().is_some_and(|l| l.starts_with("Preflight response is not successful")) {
        out.push(
            "WebKit checks the preflight's status before its headers: it reports the status, where Chromium reports a header"
                .to_owned(),
        );
    }
    if webkit.len() == 2 {
        out.push(
            "WebKit prints the cause, then \"Fetch API cannot load URL due to access control checks.\"".to_owned(),
        );
    }
    out
}

/// The page's request and every exchange, with the headers that matter.
fn write_timeline(out: &mut dyn Write, intent: &Intent, exchanges: &[Exchange], s: Style) -> std::io::Result<()> {
    let creds = intent.credentials.as_str();
    writeln!(
        out,
        "{} {} from origin {} (credentials: {creds})\n",
        s.bold(&corsair_core::method::normalize(&intent.method)),
        intent.url,
        intent.page_origin
    )?;
    for (i, x) in exchanges.iter().enumerate() {
        let label = match x.request.kind {
            SendKind::Preflight => "preflight",
            SendKind::Actual => "request",
        };
        writeln!(out, "  {}  {} {}  {}", i + 1, s.bold(&x.request.method), x.request.url, s.dim(label))?;
        for (n, v) in &x.request.headers {
            if is_cors_request_header(n) {
                writeln!(out, "     {} {n}: {v}", s.dim(">"))?;
            }
        }
        if let Some(body) = &x.request.body {
            writeln!(out, "     {} {}", s.dim(">"), s.dim(&format!("({} bytes of body)", body.len())))?;
        }
        match &x.response {
            Ok(r) => {
                // As received, like curl -i: the server's reason phrase says which software answered.
                let status = format!("{} {} {}", r.version, r.response.status, r.reason.as_deref().unwrap_or(""));
                writeln!(out, "     {} {}", s.dim("<"), s.bold(status.trim_end()))?;
                for (n, v) in &r.response.headers {
                    if is_cors_response_header(n) {
                        writeln!(out, "     {} {n}: {}", s.dim("<"), String::from_utf8_lossy(v))?;
                    }
                }
            }
            Err(e) => writeln!(out, "     {} {}", s.red("x"), e)?,
        }
    }
    writeln!(out)?;
    // A preflight is harmless; the request after it is the real one, and the server acts on it.
    let mut real = exchanges.iter().filter(|x| x.request.kind == SendKind::Actual && !is_safe(&x.request.method));
    if let Some(first) = real.next() {
        for x in std::iter::once(first).chain(real) {
            writeln!(
                out,
                "{} {} {} (the server received it as from any client; --preflight-only stops before it)",
                s.yellow("sent for real:"),
                x.request.method,
                x.request.url
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// RFC 9110's safe methods: sending them changes nothing on the server.
fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// Reports a `--preflight-only` check that stopped before the actual request.
fn report_stopped(format: Format, intent: &Intent, stopped: &Stopped, out: &mut dyn Write) -> Status {
    let unsent = &stopped.unsent;
    let _ = match format {
        Format::Json => report::write_json(out, &CheckReport::stopped(stopped)),
        Format::Text => {
            let s = Style::for_stdout();
            write_timeline(out, intent, &stopped.exchanges, s).and_then(|()| {
                let what = format!("{} {}", unsent.method, unsent.url);
                if stopped.exchanges.is_empty() {
                    writeln!(out, "{}  {what}: the browser sends it without a preflight, so --preflight-only sent nothing", s.yellow("NOT SENT"))
                } else {
                    writeln!(out, "{}  not sent: {what} (--preflight-only)", s.green("PREFLIGHT PASSED"))?;
                    term::write_wrapped(
                        out,
                        "Whether script may read the answer is decided on the answer to the request itself, which needs Access-Control-Allow-Origin too.",
                        term::stdout_columns(),
                        ("", "", 0),
                    )
                }
            })
        }
    };
    Status::Ok
}

#[allow(clippy::too_many_arguments)] // Each is one independent choice of the caller's.
fn write_text(
    out: &mut dyn Write,
    intent: &Intent,
    t: &Transcript,
    doc: &CheckReport,
    engines: &[Engine],
    stack: Option<Stack>,
    layers: Option<&Layers>,
    s: Style,
    columns: Option<usize>,
) -> std::io::Result<()> {
    write_timeline(out, intent, &t.exchanges, s)?;
    if let Some(e) = t.transport_error() {
        return writeln!(out, "{}: {}", s.red("COULD NOT CHECK"), crate::advice::transport(e));
    }
    write_verdict_for(out, t, doc, engines, stack, layers, s, columns)
}

/// The verdict, the console message, why, the fix, warnings and notes: what `check` prints after
/// the exchanges, and `explain --har` for each recorded request.
pub(crate) fn write_verdict(
    out: &mut dyn Write,
    t: &Transcript,
    stack: Option<Stack>,
    s: Style,
    columns: Option<usize>,
) -> std::io::Result<()> {
    let doc = CheckReport::of(t, stack, &[]);
    write_verdict_for(out, t, &doc, &[Engine::Chromium], stack, None, s, columns)
}

/// [`write_verdict`] with each engine's verdict and console words, then the shared why and fix.
/// The engines' words, the warnings and the notes are read from `doc`, the JSON's own struct.
#[allow(clippy::too_many_arguments)] // Each is one independent choice of the caller's.
fn write_verdict_for(
    out: &mut dyn Write,
    t: &Transcript,
    doc: &CheckReport,
    engines: &[Engine],
    stack: Option<Stack>,
    layers: Option<&Layers>,
    s: Style,
    columns: Option<usize>,
) -> std::io::Result<()> {
    let several = engines.len() > 1;
    // Prose wraps to the terminal; the console message and header lines do not: they are meant
    // to be copied and searched for whole.
    let prose = |out: &mut dyn Write, text: &str| term::write_wrapped(out, text, columns, ("  ", "  ", 2));
    match &t.verdict {
        Verdict::Allowed(a) => {
            for engine in engines.iter().filter(|_| several) {
                writeln!(out, "{}: {}", engine.name(), s.green("ALLOWED"))?;
            }
            if several {
                writeln!(out, "The engines agree.")?;
            }
            writeln!(out, "{}  response type `{}`, status {}", s.green("ALLOWED"), a.response_type.as_str(), a.status)?;
            writeln!(
                out,
                "Script can read: {}",
                if a.readable_headers.is_empty() { "(no headers)".to_owned() } else { a.readable_headers.join(", ") }
            )?;
        }
        Verdict::Blocked(b) => {
            for engine in engines {
                if several {
                    writeln!(out, "\n{}: {}", engine.name(), s.red("BLOCKED"))?;
                } else {
                    writeln!(out, "{}", s.red("BLOCKED"))?;
                }
                let words = doc.engines.as_ref();
                if *engine == Engine::Firefox {
                    if let Some(words) = words.and_then(|w| w.firefox.judged()) {
                        write_firefox(out, words)?;
                    }
                } else if *engine == Engine::WebKit {
                    if let Some(words) = words.and_then(|w| w.webkit.judged()) {
                        write_webkit(out, words)?;
                    }
                } else {
                    writeln!(out, "\nChromium console:\n  {}", doc.browser_message.as_deref().unwrap_or_default())?;
                    if let Some(code) = doc.error.as_ref().and_then(|e| e.firefox_code).filter(|_| !several) {
                        writeln!(out, "Firefox reason: {code}")?;
                    }
                }
            }
            if several {
                let differences = engine_differences(b);
                if differences.is_empty() {
                    writeln!(out, "\nThe engines agree: each blocks, for the same reason.")?;
                } else {
                    writeln!(out, "\nThe engines agree on the verdict (blocked); where their words differ:")?;
                    for d in differences {
                        term::write_wrapped(out, &d, columns, ("  - ", "    ", 4))?;
                    }
                }
            }
            let answered: Vec<_> = t
                .exchanges
                .iter()
                .filter_map(|x| x.response.as_ref().ok().map(|r| (&x.request, &r.response)))
                .collect();
            if let Some(d) = Diagnosis::of(&answered, &t.verdict) {
                writeln!(out, "{}", if d.why_from_answers { "\nWhy (from the answers):" } else { "\nWhy:" })?;
                for why in &d.why {
                    prose(out, why)?;
                }
                if let Some(page_fix) = &d.fix_in_page {
                    writeln!(out, "\nFix (in the page, not on the server):")?;
                    prose(out, page_fix)?;
                } else if let Some(fix) = &d.fix {
                    writeln!(out, "\nFix:")?;
                    prose(out, &fix.summary)?;
                    for (n, v) in &fix.headers {
                        writeln!(out, "    {}", s.green(&format!("{n}: {v}")))?;
                    }
                    for r in &fix.remove {
                        writeln!(out, "    {}", s.red(&format!("remove {r}")))?;
                    }
                }
                if let Some(l) = layers {
                    write_layers(out, l, stack, s, columns)?;
                }
                let doubled = layers.and_then(Layers::fix).filter(|_| d.fix_in_page.is_none());
                if let Some((place, text)) = &doubled {
                    writeln!(out, "\nFix it in one layer ({place}):")?;
                    for line in text.lines() {
                        writeln!(out, "    {line}")?;
                    }
                }
                if let Some(stack) =
                    stack.filter(|_| d.fix_in_page.is_none() && b.cors_error().is_some() && doubled.is_none())
                {
                    writeln!(out, "\nFor {} ({}):", stack.title(), stack.reason(args_detected(t, stack)))?;
                    for line in snippet::render(stack, b).lines() {
                        writeln!(out, "    {line}")?;
                    }
                    if let Some(command) = snippet::verified_command(stack, b) {
                        if snippet::amendment(stack, b).is_some() {
                            writeln!(
                                out,
                                "\nThis adds to the CORS layer the answers show and keeps what it allows. To replace that layer with a run-verified one (list every origin, method and header it must allow):"
                            )?;
                        } else {
                            writeln!(
                                out,
                                "\nThis allows exactly this request. Other routes' methods and headers, more origins: add them and run"
                            )?;
                        }
                        writeln!(out, "    {}", s.green(&command))?;
                        if command.contains("--dangerously-allow-insecure-origins") {
                            prose(
                                out,
                                "The page is plain http and sends credentials: anyone on the network path can act as it. Serve it over https and drop that flag.",
                            )?;
                        }
                    }
                }
                if !d.also.is_empty() {
                    writeln!(out, "\nAlso (from the answers; fix it too, or the next error will be this):")?;
                    for c in &d.also {
                        prose(out, &c.explanation())?;
                        if let Some(fix) = c.fix() {
                            prose(out, &fix)?;
                        }
                    }
                }
            }
        }
    }
    if !doc.warnings.is_empty() {
        writeln!(out, "\nWarnings:")?;
        let bullet = format!("  {} ", s.yellow("!"));
        for w in &doc.warnings {
            term::write_wrapped(out, w, columns, (&bullet, "    ", 4))?;
        }
    }
    if !doc.notes.is_empty() {
        writeln!(out, "\nNotes:")?;
        for n in &doc.notes {
            term::write_wrapped(out, n, columns, ("  - ", "    ", 4))?;
        }
    }
    Ok(())
}

/// The layers the answers show and where each `Access-Control-Allow-Origin` line comes from.
fn write_layers(
    out: &mut dyn Write,
    l: &Layers,
    stack: Option<Stack>,
    s: Style,
    columns: Option<usize>,
) -> std::io::Result<()> {
    writeln!(out, "\n{}", s.yellow("Two layers answer here:"))?;
    let named = [&l.front, &l.app];
    for n in named.into_iter().flatten() {
        writeln!(out, "  {} ({})", n.product, n.evidence)?;
    }
    if !l.duplicated.is_empty() {
        let names: Vec<String> = l.duplicated.iter().map(|n| crate::layers::title(n)).collect();
        term::write_wrapped(out, &format!("sent twice: {}", names.join(", ")), columns, ("  ", "  ", 2))?;
    }
    for line in l.origins_of_lines() {
        writeln!(out, "  {line}")?;
    }
    if l.duplicated.is_empty() {
        let front = l.front.as_ref().map_or("the proxy", |f| f.product);
        let fixed =
            stack.map_or("the layer that sends the CORS headers".to_owned(), |st| format!("{} (below)", st.title()));
        term::write_wrapped(
            out,
            &format!("Fix CORS in one of them, {fixed}; add no CORS lines to {front} as well: both would go out, and browsers refuse two values."),
            columns,
            ("  ", "  ", 2),
        )?;
    }
    Ok(())
}

/// Firefox's console lines, its reason code and the fetch() rejection.
fn write_firefox(out: &mut dyn Write, words: &FirefoxWords) -> std::io::Result<()> {
    write_console(out, "Firefox", &words.console)?;
    if let Some(code) = words.reason_code {
        writeln!(out, "Firefox reason: {code}")?;
    }
    writeln!(out, "fetch() rejects with: {}", words.fetch_rejection.unwrap_or_default())
}

/// WebKit's two console lines and the fetch() rejection.
fn write_webkit(out: &mut dyn Write, words: &WebKitWords) -> std::io::Result<()> {
    write_console(out, "WebKit", &words.console)?;
    writeln!(out, "fetch() rejects with: {}", words.fetch_rejection.unwrap_or_default())
}

/// An engine's console lines, indented under its name.
fn write_console(out: &mut dyn Write, engine: &str, lines: &[String]) -> std::io::Result<()> {
    if lines.is_empty() {
        return writeln!(out, "\n{engine} console: (no CORS line for this failure)");
    }
    writeln!(out, "\n{engine} console:")?;
    for line in lines {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

fn args_detected(t: &Transcript, stack: Stack) -> bool {
    snippet::detect(t) == Some(stack)
}

fn is_cors_request_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "origin" || n.starts_with("access-control-") || !matches!(n.as_str(), "accept" | "sec-fetch-mode")
}

fn is_cors_response_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("access-control-")
        || matches!(n.as_str(), "vary" | "location" | "server" | "x-powered-by" | "corsair-refusal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_scheme_is_named_and_real_urls_pass() {
        assert_eq!(missing_scheme("localhost:3000").as_deref(), Some("http://localhost:3000"));
        assert_eq!(missing_scheme("127.0.0.1:8080/x").as_deref(), Some("http://127.0.0.1:8080/x"));
        assert_eq!(missing_scheme("localhost:8080/x").as_deref(), Some("http://localhost:8080/x"));
        assert_eq!(missing_scheme("app.example.com").as_deref(), Some("https://app.example.com"));
        for fine in
            ["null", "http://localhost:3000", "http:/localhost:3000", "chrome-extension://abc", "data:text/html,x"]
        {
            assert_eq!(missing_scheme(fine), None, "{fine}");
        }
        assert_eq!(missing_scheme("not a url"), None, "left to the URL parser's own error");
    }
}
