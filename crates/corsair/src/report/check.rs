//! `corsair check --format json`, also the `live` of `explain` and each `check` of
//! `explain --har`: the verdict, each engine's words, the error and its fix, the exchanges.
//! Keys are in alphabetical order, as the document has always been written.

use corsair_core::browser::{Blocked, Cause, Request, SendKind, Verdict};
use corsair_core::console::Browser as Engine;
use corsair_probe::{Exchange, Stopped, Transcript};
use serde::Serialize;

use crate::layers::{Layers, UNLISTED_ORIGIN};
use crate::snippet::{self, Stack};

/// The whole document.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// Chromium's console message, when blocked.
    pub browser_message: Option<String>,
    /// What the answers show about why the fetch was blocked.
    pub causes: Vec<CauseReport>,
    /// Each engine's words; absent when nothing was judged (could not run, `--preflight-only`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engines: Option<Engines>,
    /// The failure, when blocked or when the check could not run.
    pub error: Option<ErrorReport>,
    /// The two layers that answer, when `check` found two and the request is blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<LayersReport>,
    /// What is worth knowing but needs no change.
    pub notes: Vec<String>,
    /// The preflight's exchange, when one was sent.
    pub preflight: Option<ExchangeReport>,
    /// Response headers script can read, when allowed.
    pub readable_headers: Vec<String>,
    /// Every exchange, in order.
    pub requests: Vec<ExchangeReport>,
    /// The response type (`cors`, `basic`, `opaque`, ...), when allowed.
    pub response_type: Option<&'static str>,
    /// The stack the fix is written for (`--stack`, or detected).
    pub stack: Option<&'static str>,
    /// The request `--preflight-only` did not send.
    pub unsent: Option<RequestReport>,
    /// `allowed`, `blocked`, `error`, `preflight_passed` or `not_sent`.
    pub verdict: &'static str,
    /// What should change even though the verdict stands.
    pub warnings: Vec<String>,
}

/// Each engine's verdict and words.
#[derive(Debug, Serialize)]
pub struct Engines {
    /// Chromium's.
    pub chromium: EngineReport<ChromiumWords>,
    /// Firefox ESR's.
    pub firefox: EngineReport<FirefoxWords>,
    /// WebKit's.
    pub webkit: EngineReport<WebKitWords>,
}

/// One engine's words, or `{"verdict": "not_checked"}` when its requests differ from those
/// the probe sent, so the answers cannot speak for it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum EngineReport<T> {
    /// The engine's model replays the exchanges.
    Judged(T),
    /// It would have sent other requests.
    NotChecked {
        /// Always `not_checked`.
        verdict: &'static str,
    },
}

impl<T> EngineReport<T> {
    /// The engine's words, unless it was not checked.
    pub fn judged(&self) -> Option<&T> {
        match self {
            EngineReport::Judged(words) => Some(words),
            EngineReport::NotChecked { .. } => None,
        }
    }
}

/// Chromium's words for the verdict.
#[derive(Debug, Serialize)]
pub struct ChromiumWords {
    /// Its console lines.
    pub console: Vec<String>,
    /// Its `CorsError` name (`kMissingAllowOriginHeader`, ...).
    pub error_kind: Option<&'static str>,
    /// What `fetch()` rejects with.
    pub fetch_rejection: Option<&'static str>,
    /// `allowed`, `blocked` or `error`.
    pub verdict: &'static str,
}

/// Firefox's words for the verdict.
#[derive(Debug, Serialize)]
pub struct FirefoxWords {
    /// Its console lines.
    pub console: Vec<String>,
    /// What `fetch()` rejects with.
    pub fetch_rejection: Option<&'static str>,
    /// Its reason code (`CORSMissingAllowOrigin`, ...).
    pub reason_code: Option<&'static str>,
    /// `allowed`, `blocked` or `error`.
    pub verdict: &'static str,
}

/// WebKit's words for the verdict.
#[derive(Debug, Serialize)]
pub struct WebKitWords {
    /// Its console lines.
    pub console: Vec<String>,
    /// What `fetch()` rejects with.
    pub fetch_rejection: Option<&'static str>,
    /// `allowed`, `blocked` or `error`.
    pub verdict: &'static str,
}

/// The failure and what to change.
#[derive(Debug, Serialize)]
pub struct ErrorReport {
    /// In words.
    pub explanation: String,
    /// Firefox's reason code for it, if any.
    pub firefox_code: Option<&'static str>,
    /// The change, when one on the server or in the page helps.
    pub fix: Option<FixReport>,
    /// Chromium's name for it, the model's failure kind, or `usage` / `could_not_check`.
    pub kind: &'static str,
}

/// The fix. A fix in the page has only `headers`, `remove`, `snippet` and `summary`, unless
/// two layers answer (then the layer fix's snippet keys join it).
#[derive(Debug, Default, Serialize)]
pub struct FixReport {
    /// Response headers to send, `[name, value]`.
    pub headers: Vec<(String, String)>,
    /// The status preflights must get, when theirs is part of the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preflight_status: Option<Option<u16>>,
    /// Response headers to remove.
    pub remove: Vec<String>,
    /// The fix as config or code for the stack.
    pub snippet: Option<String>,
    /// True when the snippet adds to a CORS layer the answers show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet_adds_to_existing_layer: Option<bool>,
    /// The snippet by place, for stacks whose fix goes in several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet_parts: Option<Option<Vec<SnippetPart>>>,
    /// The change in words.
    pub summary: String,
    /// The `corsair snippet` command whose output is run-verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_snippet_command: Option<Option<String>>,
}

/// One place of a snippet.
#[derive(Debug, Serialize)]
pub struct SnippetPart {
    /// Where it goes, in the stack's words.
    pub place: String,
    /// What to paste.
    pub text: String,
}

/// One cause the answers show.
#[derive(Debug, Serialize)]
pub struct CauseReport {
    /// True when it is why the fetch was blocked (not only a next error).
    pub explains_block: bool,
    /// In words.
    pub explanation: String,
    /// The change.
    pub fix: Option<String>,
    /// True when the fix is in the page, not on the server.
    pub fix_in_page: bool,
    /// Its name.
    pub kind: &'static str,
}

/// One request and what came back.
#[derive(Debug, Serialize)]
pub struct ExchangeReport {
    /// The transport error, when nothing came back.
    pub error: Option<String>,
    /// What was sent.
    pub request: RequestReport,
    /// What came back.
    pub response: Option<ResponseReport>,
}

/// A request as sent.
#[derive(Debug, Serialize)]
pub struct RequestReport {
    /// `[name, value]` in order.
    pub headers: Vec<(String, String)>,
    /// As sent.
    pub method: String,
    /// As sent.
    pub url: String,
}

/// A response as received.
#[derive(Debug, Serialize)]
pub struct ResponseReport {
    /// `[name, value]` in order (values as lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// The reason phrase, as received.
    pub reason: Option<String>,
    /// The status code.
    pub status: u16,
    /// `HTTP/1.1`, `HTTP/2`, ...
    pub version: &'static str,
}

/// The layers that answer and where each CORS line comes from.
#[derive(Debug, Serialize)]
pub struct LayersReport {
    /// The application (from `X-Powered-By`).
    pub app: Option<NamedReport>,
    /// CORS header names sent twice.
    pub duplicated: Vec<String>,
    /// The proxy or web server (from `Server`).
    pub front: Option<NamedReport>,
    /// Where each `Access-Control-Allow-Origin` line comes from, in words.
    pub lines: Vec<String>,
    /// The origin of the extra request.
    pub unlisted_origin: &'static str,
    /// The CORS lines of the extra request, once sent.
    pub unlisted_origin_lines: Option<Vec<(String, String)>>,
}

/// A layer named by a header.
#[derive(Debug, Serialize)]
pub struct NamedReport {
    /// The header line that names it.
    pub evidence: String,
    /// The product.
    pub product: &'static str,
}

impl CheckReport {
    /// A check that sent nothing, or could not finish: `kind` is `usage` or `could_not_check`,
    /// so that a tool reading stdout never takes it for "blocked".
    pub fn not_checked(kind: &'static str, message: &str) -> CheckReport {
        CheckReport { error: Some(ErrorReport::not_checked(kind, message)), ..CheckReport::empty("error") }
    }

    /// A `--preflight-only` check that stopped before the request itself.
    pub fn stopped(stopped: &Stopped) -> CheckReport {
        let verdict = if stopped.exchanges.is_empty() { "not_sent" } else { "preflight_passed" };
        CheckReport {
            preflight: preflight(&stopped.exchanges),
            requests: stopped.exchanges.iter().map(ExchangeReport::of).collect(),
            unsent: Some(RequestReport::of(&stopped.unsent)),
            ..CheckReport::empty(verdict)
        }
    }

    /// A finished check: `stack` writes the fix's snippet, `read` are `--read` warnings.
    pub fn of(t: &Transcript, stack: Option<Stack>, read: &[String]) -> CheckReport {
        let causes = causes(t);
        let (verdict, error, readable, response_type) = match (&t.verdict, t.transport_error()) {
            (Verdict::Allowed(a), _) => ("allowed", None, a.readable_headers.clone(), Some(a.response_type.as_str())),
            (Verdict::Blocked(_), Some(e)) => (
                "error",
                Some(ErrorReport::not_checked("could_not_check", &crate::advice::transport(e))),
                Vec::new(),
                None,
            ),
            (Verdict::Blocked(b), None) => ("blocked", Some(ErrorReport::of(b, stack, &causes)), Vec::new(), None),
        };
        CheckReport {
            browser_message: t.verdict.console_message(),
            causes: causes.iter().map(CauseReport::of).collect(),
            engines: Some(Engines::of(t)),
            error,
            layers: None,
            notes: notes(t),
            preflight: preflight(&t.exchanges),
            readable_headers: readable,
            requests: t.exchanges.iter().map(ExchangeReport::of).collect(),
            response_type,
            stack: stack.map(Stack::name),
            unsent: None,
            verdict,
            warnings: warnings(t, read),
        }
    }

    /// Adds the two layers that answer; their one-layer fix replaces the stack's snippet.
    pub fn with_layers(mut self, l: &Layers) -> CheckReport {
        self.layers = Some(LayersReport::of(l));
        if let (Some((place, text)), Some(fix)) = (l.fix(), self.error.as_mut().and_then(|e| e.fix.as_mut())) {
            fix.snippet = Some(text.clone());
            fix.snippet_parts = Some(Some(vec![SnippetPart { place, text }]));
            fix.snippet_adds_to_existing_layer = Some(false);
            fix.verified_snippet_command = Some(None);
        }
        self
    }

    /// Marks `engine` as not checked: its model asks for requests the probe did not send.
    pub fn engine_not_checked(&mut self, engine: Engine) {
        let Some(engines) = self.engines.as_mut() else { return };
        let not_checked = "not_checked";
        match engine {
            Engine::Chromium => engines.chromium = EngineReport::NotChecked { verdict: not_checked },
            Engine::Firefox => engines.firefox = EngineReport::NotChecked { verdict: not_checked },
            Engine::WebKit => engines.webkit = EngineReport::NotChecked { verdict: not_checked },
        }
    }

    fn empty(verdict: &'static str) -> CheckReport {
        CheckReport {
            browser_message: None,
            causes: Vec::new(),
            engines: None,
            error: None,
            layers: None,
            notes: Vec::new(),
            preflight: None,
            readable_headers: Vec::new(),
            requests: Vec::new(),
            response_type: None,
            stack: None,
            unsent: None,
            verdict,
            warnings: Vec::new(),
        }
    }
}

fn preflight(exchanges: &[Exchange]) -> Option<ExchangeReport> {
    exchanges.iter().find(|x| x.request.kind == SendKind::Preflight).map(ExchangeReport::of)
}

/// What the answers show about why the fetch was blocked.
fn causes(t: &Transcript) -> Vec<Cause> {
    let answered: Vec<_> =
        t.exchanges.iter().filter_map(|x| x.response.as_ref().ok().map(|r| (&x.request, &r.response))).collect();
    corsair_core::browser::causes(&answered, &t.verdict)
}

/// The verdict's warnings (not its notes), then `--read`'s.
fn warnings(t: &Transcript, read: &[String]) -> Vec<String> {
    let mut w: Vec<String> = t.verdict.warnings().iter().filter(|w| !w.is_note()).map(ToString::to_string).collect();
    w.extend(read.iter().cloned());
    w
}

/// What is worth knowing but needs no change.
fn notes(t: &Transcript) -> Vec<String> {
    let mut notes: Vec<String> = t.verdict.warnings().iter().filter(|w| w.is_note()).map(ToString::to_string).collect();
    notes.extend(echoed_with_credentials(t));
    notes
}

/// A credentialed answer that names the page's origin is what an exact allow-list sends, and
/// also what a server that echoes every origin sends (Express `origin: true`): one request
/// cannot tell them apart, `corsair audit` can.
fn echoed_with_credentials(t: &Transcript) -> Option<String> {
    if !t.verdict.is_allowed() {
        return None;
    }
    let last = t.exchanges.last()?;
    let origin = last.request.header("origin")?;
    let response = &last.response.as_ref().ok()?.response;
    let echoed = last.request.with_credentials
        && response.normalized("access-control-allow-origin").as_deref() == Some(origin.as_bytes())
        && response.normalized("access-control-allow-credentials").as_deref() == Some(b"true");
    echoed.then(|| {
        format!(
            "the server named {origin} with credentials allowed; if it echoes any origin, every site can read this user's data: `corsair audit {}` finds out",
            last.request.url
        )
    })
}

impl Engines {
    fn of(t: &Transcript) -> Engines {
        let (verdict, blocked) = match (&t.verdict, t.transport_error()) {
            (Verdict::Allowed(_), _) => ("allowed", None),
            (Verdict::Blocked(_), Some(_)) => ("error", None),
            (Verdict::Blocked(b), None) => ("blocked", Some(b)),
        };
        Engines {
            chromium: EngineReport::Judged(ChromiumWords {
                console: blocked.map(Blocked::console_lines).unwrap_or_default(),
                error_kind: blocked.and_then(Blocked::cors_error).map(|e| e.chromium_name()),
                fetch_rejection: blocked.map(|_| "TypeError: Failed to fetch"),
                verdict,
            }),
            firefox: EngineReport::Judged(FirefoxWords {
                console: blocked.map(Blocked::firefox_console_lines).unwrap_or_default(),
                fetch_rejection: blocked.map(|_| corsair_core::browser::firefox::FETCH_REJECTION),
                reason_code: blocked.and_then(Blocked::firefox_code),
                verdict,
            }),
            webkit: EngineReport::Judged(WebKitWords {
                console: blocked.map(Blocked::webkit_console_lines).unwrap_or_default(),
                fetch_rejection: blocked.map(|_| corsair_core::browser::webkit::FETCH_REJECTION),
                verdict,
            }),
        }
    }
}

impl ErrorReport {
    fn not_checked(kind: &'static str, message: &str) -> ErrorReport {
        ErrorReport { explanation: message.to_owned(), firefox_code: None, fix: None, kind }
    }

    fn of(b: &Blocked, stack: Option<Stack>, causes: &[Cause]) -> ErrorReport {
        let Some(e) = b.cors_error() else {
            return ErrorReport {
                explanation: b.failure.summary().to_owned(),
                firefox_code: None,
                fix: None,
                kind: b.failure.kind(),
            };
        };
        let fix = if let Some(page_fix) = causes.iter().find(|c| c.fix_is_in_the_page()).and_then(Cause::fix) {
            FixReport { summary: page_fix, ..FixReport::default() }
        } else {
            let fix = b.fix().unwrap_or_default();
            FixReport {
                headers: fix.headers,
                preflight_status: Some(fix.preflight_status),
                remove: fix.remove,
                snippet: stack.map(|s| snippet::render(s, b)),
                snippet_adds_to_existing_layer: Some(stack.is_some_and(|s| snippet::amendment(s, b).is_some())),
                snippet_parts: Some(stack.map(|s| {
                    snippet::render_parts(s, b)
                        .into_iter()
                        .map(|p| SnippetPart { place: p.place, text: p.text })
                        .collect()
                })),
                summary: fix.summary,
                verified_snippet_command: Some(stack.and_then(|s| snippet::verified_command(s, b))),
            }
        };
        ErrorReport {
            explanation: e.explanation().to_owned(),
            firefox_code: e.firefox_code(),
            fix: Some(fix),
            kind: e.chromium_name(),
        }
    }
}

impl CauseReport {
    fn of(c: &Cause) -> CauseReport {
        CauseReport {
            explains_block: c.explains_block(),
            explanation: c.explanation(),
            fix: c.fix(),
            fix_in_page: c.fix_is_in_the_page(),
            kind: c.kind(),
        }
    }
}

impl RequestReport {
    fn of(r: &Request) -> RequestReport {
        RequestReport {
            headers: r.headers.iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
            method: r.method.clone(),
            url: r.url.to_string(),
        }
    }
}

impl ExchangeReport {
    fn of(x: &Exchange) -> ExchangeReport {
        let request = RequestReport::of(&x.request);
        match &x.response {
            Ok(r) => ExchangeReport {
                error: None,
                request,
                response: Some(ResponseReport {
                    headers: r
                        .response
                        .headers
                        .iter()
                        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
                        .collect(),
                    reason: r.reason.clone(),
                    status: r.response.status,
                    version: r.version,
                }),
            },
            Err(e) => ExchangeReport { error: Some(crate::advice::transport(e)), request, response: None },
        }
    }
}

impl LayersReport {
    fn of(l: &Layers) -> LayersReport {
        let named = |n: &Option<crate::layers::Named>| {
            n.as_ref().map(|n| NamedReport { evidence: n.evidence.clone(), product: n.product })
        };
        LayersReport {
            app: named(&l.app),
            duplicated: l.duplicated.clone(),
            front: named(&l.front),
            lines: l.origins_of_lines(),
            unlisted_origin: UNLISTED_ORIGIN,
            unlisted_origin_lines: l.unlisted_lines.clone(),
        }
    }
}
