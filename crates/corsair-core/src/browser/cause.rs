//! What the answers say about *why* a request was blocked, beyond the browser's message.
//!
//! The console message names the first check that failed, in Chromium's order, and its catalogue
//! explanation gives the usual reasons. The exchanges often show which one it is: a `400`
//! preflight that carries `Access-Control-Allow-Methods: GET` was refused by the CORS layer itself
//! (Starlette and FastAPI answer so), not by authentication or routing; a debug header may name
//! the reason; nginx leaves its marks. Each [`Cause`] is something the exchanges show, never a
//! guess that one exchange cannot support.
//!
//! ```
//! use corsair_core::browser::{causes, Intent, Fetch, Response, Step};
//! use corsair_core::Origin;
//!
//! let intent = Intent::new("https://api.example/items".parse().unwrap(),
//!                          Origin::parse("https://app.example").unwrap()).method("PUT");
//! let mut fetch = Fetch::new(intent);
//! let Step::Send(preflight) = fetch.next() else { unreachable!() };
//! // Starlette's CORSMiddleware refusing a method it was not told about.
//! let answer = Response::new(400)
//!     .header("access-control-allow-methods", "GET")
//!     .header("access-control-allow-origin", "https://app.example");
//! fetch.receive(answer.clone());
//! let Step::Done(verdict) = fetch.next() else { unreachable!() };
//! let found = causes(&[(&preflight, &answer)], &verdict);
//! assert!(found[0].explanation().contains("refused by the CORS layer itself"));
//! ```

use super::{preflight, Request, Response, SendKind, Verdict};
use crate::cors_error::{CorsError, Initiator};
use crate::Origin;

/// One reason the exchanges show.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The server named the refusal in a debug header (`corsair-refusal`, as corsair's own
    /// layer and proxy send with `debug_header = true`).
    DebugHeader {
        /// The header's name as received.
        name: String,
        /// Its value.
        value: String,
        /// What the request asked for that the value names (the method, the headers, the origin).
        asked: Option<String>,
    },
    /// A preflight answered with an error status *and* CORS headers: a CORS layer answered it and
    /// refused it; with a 2xx status the browser would still block it for `refused`.
    PreflightRefusedByCorsLayer {
        /// The status.
        status: u16,
        /// What the CORS headers do not allow.
        refused: CorsError,
    },
    /// The page wrote a method in lower case, which fetch() sends as written.
    LowerCaseMethod {
        /// The method as sent.
        sent: String,
        /// Whether it is why this fetch was blocked (the method refused, by the preflight or by
        /// the server); otherwise the request fails for another reason first.
        explains: bool,
    },
    /// A redirect without CORS headers stopped the request.
    RedirectWithoutCors {
        /// Preflight or actual.
        kind: SendKind,
        /// The redirect's status.
        status: u16,
        /// The URL that redirected.
        from: String,
        /// Where to.
        location: String,
    },
    /// The preflight passed, so a CORS layer runs, but the request itself got an error status
    /// without CORS headers: something before the CORS layer answered it (a body parser that
    /// rejected the body, authentication, an error handler).
    AnsweredBeforeCors {
        /// The status.
        status: u16,
        /// Whether the request carried a body.
        with_body: bool,
    },
    /// nginx answered with some CORS headers but not `Access-Control-Allow-Origin`, or answered
    /// the preflight with it and the request without it: a block with `add_header` lines of its
    /// own inherits none of the outer block's.
    NginxAddHeaderNotInherited {
        /// Which answer lacks the header.
        kind: SendKind,
        /// The CORS headers that answer did carry.
        present: Vec<String>,
    },
    /// nginx answered the preflight with CORS headers and the request, an error status, without:
    /// `add_header` skips error statuses unless it says `always`.
    NginxAddHeaderWithoutAlways {
        /// The status of the answer without CORS headers.
        status: u16,
    },
}

impl Cause {
    /// A stable name for JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::DebugHeader { .. } => "debug_header",
            Cause::PreflightRefusedByCorsLayer { .. } => "preflight_refused_by_cors_layer",
            Cause::LowerCaseMethod { .. } => "lower_case_method",
            Cause::RedirectWithoutCors { .. } => "redirect_without_cors",
            Cause::AnsweredBeforeCors { .. } => "answered_before_cors",
            Cause::NginxAddHeaderNotInherited { .. } => "nginx_add_header_not_inherited",
            Cause::NginxAddHeaderWithoutAlways { .. } => "nginx_add_header_without_always",
        }
    }

    /// What happened, in a sentence or two.
    pub fn explanation(&self) -> String {
        match self {
            Cause::DebugHeader { name, value, asked } => {
                let what = match (value.trim(), asked) {
                    ("origin", Some(a)) => format!("the origin {a}"),
                    ("method", Some(a)) => format!("the method {a}"),
                    ("header", Some(a)) => format!("the request headers {a}"),
                    ("private-network", _) => "a private-network request".to_owned(),
                    (v, _) => format!("`{v}`"),
                };
                format!("The server says why in its debug header `{name}: {value}`: its CORS policy refused {what}.")
            }
            Cause::PreflightRefusedByCorsLayer { status, refused } => format!(
                "The preflight was refused by the CORS layer itself, not by authentication or routing: its {status} answer carries CORS headers, and they do not allow this request ({}) Starlette and FastAPI answer a refused preflight this way: 400, \"Disallowed CORS method\" (or origin, or headers).",
                refused.detail(Initiator::Fetch)
            ),
            Cause::LowerCaseMethod { sent, .. } => format!(
                "The page wrote the method as `{sent}`, and fetch() sends it as written: only DELETE, GET, HEAD, OPTIONS, POST and PUT are upper-cased. Methods are case-sensitive, so `{}` in Access-Control-Allow-Methods does not cover it, and many servers (Node's HTTP parser among them) reject a lower-case method outright.",
                sent.to_ascii_uppercase()
            ),
            Cause::RedirectWithoutCors { kind, status, from, location } => {
                let which = if *kind == SendKind::Preflight { "the preflight" } else { "the request" };
                format!(
                    "{from} answered {which} with a {status} redirect to {location} and no CORS headers; the browser checks CORS on the redirect itself, so it stops there (a trailing-slash or http-to-https redirect, typically)."
                )
            }
            Cause::AnsweredBeforeCors { status, with_body } => {
                let who = if *with_body {
                    "something before the CORS layer answered it: with a body, typically a body parser that rejected it"
                } else {
                    "something before the CORS layer answered it (authentication, an error handler)"
                };
                format!(
                    "The preflight passed, so the CORS layer works, but the request itself got a {status} without CORS headers: {who}. The page cannot even read that status."
                )
            }
            Cause::NginxAddHeaderNotInherited { kind: SendKind::Preflight, present } => format!(
                "nginx answered the preflight with {} but not Access-Control-Allow-Origin: the block that answered it (an `if ($request_method = OPTIONS)` or a location) has `add_header` lines of its own, and such a block inherits none of the server's.",
                present.join(", ")
            ),
            Cause::NginxAddHeaderNotInherited { kind: SendKind::Actual, .. } => "nginx answered the preflight with Access-Control-Allow-Origin but the request without it: the location that served the request has `add_header` lines of its own (Cache-Control, say), and such a block inherits none of the server's.".to_owned(),
            Cause::NginxAddHeaderWithoutAlways { status } => format!(
                "nginx answered the preflight with CORS headers but this {status} without them: `add_header` applies to 2xx and 3xx answers only, unless it ends in `always`."
            ),
        }
    }

    /// What to change, when the cause says more than the general fix.
    pub fn fix(&self) -> Option<String> {
        match self {
            Cause::DebugHeader { value, asked, .. } => match (value.trim(), asked) {
                ("origin", Some(a)) => Some(format!("Add {a} to the server's allowed origins.")),
                ("method", Some(a)) => Some(format!("Add {a} to the server's allowed methods.")),
                ("header", Some(a)) => Some(format!("Add {a} to the server's allowed headers.")),
                _ => None,
            },
            Cause::PreflightRefusedByCorsLayer { refused, .. } => Some(match refused {
                CorsError::MethodDisallowedByPreflightResponse { method } => {
                    format!("Add {method} to the CORS layer's allowed methods (no OPTIONS route or status change is needed).")
                }
                CorsError::HeaderDisallowedByPreflightResponse { name } => {
                    format!("Add `{name}` to the CORS layer's allowed headers (no OPTIONS route or status change is needed).")
                }
                _ => "Allow this origin in the CORS layer's configuration (no OPTIONS route or status change is needed).".to_owned(),
            }),
            Cause::LowerCaseMethod { sent, .. } => Some(format!(
                "In the page, write the method in upper case: fetch(url, {{ method: '{}' }}). Nothing changes on the server.",
                sent.to_ascii_uppercase()
            )),
            Cause::RedirectWithoutCors { location, .. } => {
                Some(format!("Call {location} from the page directly, or have the redirect carry the CORS headers too."))
            }
            Cause::AnsweredBeforeCors { status, .. } => Some(format!(
                "Run the CORS layer first, so that its headers are on every answer, errors included (Express: `app.use(cors())` before `express.json()`); then the page can read the {status} and its reason."
            )),
            Cause::NginxAddHeaderNotInherited { .. } => Some(
                "Repeat the CORS add_header lines inside that block (an include file keeps them in one place).".to_owned(),
            ),
            Cause::NginxAddHeaderWithoutAlways { .. } => {
                Some("End each CORS add_header line with `always`.".to_owned())
            }
        }
    }

    /// Whether the fix is in the page, so no server-side fix applies.
    pub fn fix_is_in_the_page(&self) -> bool {
        matches!(self, Cause::LowerCaseMethod { explains: true, .. })
    }

    /// Whether this is why the fetch was blocked; if not, it is worth fixing too, but the block
    /// has another cause first.
    pub fn explains_block(&self) -> bool {
        !matches!(self, Cause::LowerCaseMethod { explains: false, .. })
    }
}

/// The causes the exchanges of a blocked fetch show, most specific first; none for an allowed
/// fetch. `exchanges` are the requests sent and the answers received, in order.
pub fn causes(exchanges: &[(&Request, &Response)], verdict: &Verdict) -> Vec<Cause> {
    let Verdict::Blocked(blocked) = verdict else { return Vec::new() };
    let mut found = Vec::new();
    if let Some(c) = debug_header(exchanges) {
        found.push(c);
    }
    let sent = exchanges
        .iter()
        .find_map(|(r, _)| r.header("access-control-request-method").map(str::to_owned))
        .unwrap_or_else(|| blocked.method.clone());
    let lower_case = sent != sent.to_ascii_uppercase();
    let Some(&(request, response)) = exchanges.last() else {
        if lower_case {
            found.push(Cause::LowerCaseMethod { sent, explains: false });
        }
        return found;
    };
    let cors_headers = cors_header_names(response);
    let has_acao = response.normalized("access-control-allow-origin").is_some();
    let refused_preflight =
        if request.kind == SendKind::Preflight && !(200..=299).contains(&response.status) && !response.is_redirect() {
            refused_even_if_ok(request, response, blocked.include_credentials)
        } else {
            None
        };
    let method_refused = matches!(blocked.cors_error(), Some(CorsError::MethodDisallowedByPreflightResponse { .. }))
        || matches!(refused_preflight, Some(CorsError::MethodDisallowedByPreflightResponse { .. }))
        // The preflight passed (a `*`, say) and the server refused the method itself.
        || (request.kind == SendKind::Actual && matches!(response.status, 400 | 405 | 501));
    if lower_case {
        found.push(Cause::LowerCaseMethod { sent, explains: method_refused });
    }
    match refused_preflight {
        // The lower-case method already explains it.
        Some(CorsError::MethodDisallowedByPreflightResponse { .. }) if lower_case => {}
        Some(refused) if !cors_headers.is_empty() => {
            found.push(Cause::PreflightRefusedByCorsLayer { status: response.status, refused });
        }
        _ => {}
    }
    if response.is_redirect() && !has_acao {
        found.push(Cause::RedirectWithoutCors {
            kind: request.kind,
            status: response.status,
            from: request.url.to_string(),
            location: String::from_utf8_lossy(&response.normalized("location").unwrap_or_default()).into_owned(),
        });
    }
    let preflight_had_acao = exchanges
        .iter()
        .any(|(r, a)| r.kind == SendKind::Preflight && a.normalized("access-control-allow-origin").is_some());
    if !is_nginx(exchanges)
        && request.kind == SendKind::Actual
        && response.status >= 400
        && !has_acao
        && preflight_had_acao
        && !found.iter().any(|c| matches!(c, Cause::LowerCaseMethod { explains: true, .. }))
    {
        found.push(Cause::AnsweredBeforeCors { status: response.status, with_body: request.body.is_some() });
    }
    if is_nginx(exchanges) && !has_acao && !response.is_redirect() {
        if request.kind == SendKind::Preflight && !cors_headers.is_empty() {
            found.push(Cause::NginxAddHeaderNotInherited { kind: SendKind::Preflight, present: cors_headers });
        } else if request.kind == SendKind::Actual && preflight_had_acao {
            found.push(if NGINX_ADD_HEADER_STATUSES.contains(&response.status) {
                Cause::NginxAddHeaderNotInherited { kind: SendKind::Actual, present: cors_headers }
            } else {
                Cause::NginxAddHeaderWithoutAlways { status: response.status }
            });
        }
    }
    found
}

/// The statuses nginx's `add_header` applies to without `always`.
const NGINX_ADD_HEADER_STATUSES: [u16; 10] = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308];

/// The first `corsair-refusal` header any answer carries.
fn debug_header(exchanges: &[(&Request, &Response)]) -> Option<Cause> {
    exchanges.iter().find_map(|(request, response)| {
        let value = response.normalized("corsair-refusal")?;
        let value = String::from_utf8_lossy(&value).into_owned();
        let asked = match value.trim() {
            "origin" => request.header("origin").map(str::to_owned),
            "method" => Some(
                request.header("access-control-request-method").map(str::to_owned).unwrap_or(request.method.clone()),
            ),
            "header" => request.header("access-control-request-headers").map(str::to_owned),
            _ => None,
        };
        Some(Cause::DebugHeader { name: "corsair-refusal".to_owned(), value, asked })
    })
}

/// What a preflight's CORS headers refuse, judged as if its status were 204.
fn refused_even_if_ok(request: &Request, response: &Response, include: bool) -> Option<CorsError> {
    let origin = Origin::parse(request.header("origin")?).ok()?;
    let method = request.header("access-control-request-method")?;
    let names: Vec<String> = request
        .header("access-control-request-headers")
        .map(|v| v.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect())
        .unwrap_or_default();
    let as_ok = Response { status: 204, headers: response.headers.clone() };
    preflight::check_preflight(&as_ok, &origin, include, method, &names, &mut Vec::new()).err()
}

/// The `Access-Control-Allow-*` and `-Max-Age` names an answer carries, as received.
fn cors_header_names(response: &Response) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in &response.headers {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("access-control-") && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.clone());
        }
    }
    names
}

/// Whether nginx answered (its `Server` header, on any answer).
fn is_nginx(exchanges: &[(&Request, &Response)]) -> bool {
    exchanges.iter().any(|(_, r)| r.normalized("server").is_some_and(|v| v.to_ascii_lowercase().starts_with(b"nginx")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::{Fetch, Intent, Step};

    const PAGE: &str = "http://localhost:5173";

    /// Runs `intent` against `answers` and returns the causes.
    fn run(intent: Intent, answers: Vec<Response>) -> Vec<Cause> {
        let mut fetch = Fetch::new(intent);
        let mut sent = Vec::new();
        let mut answers = answers.into_iter();
        loop {
            match fetch.next() {
                Step::Send(request) => {
                    let answer = answers.next().expect("an answer for each request");
                    fetch.receive(answer.clone());
                    sent.push((request, answer));
                }
                Step::Done(verdict) => {
                    let pairs: Vec<(&Request, &Response)> = sent.iter().map(|(r, a)| (r, a)).collect();
                    return causes(&pairs, &verdict);
                }
            }
        }
    }

    fn intent(method: &str) -> Intent {
        Intent::new("http://127.0.0.1:8000/items".parse().unwrap(), Origin::parse(PAGE).unwrap()).method(method)
    }

    /// Starlette 1.10's answer to a preflight for a method it does not allow, header for header.
    fn starlette_400() -> Response {
        Response::new(400)
            .header("server", "uvicorn")
            .header("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network")
            .header("access-control-allow-methods", "GET")
            .header("access-control-max-age", "600")
            .header("access-control-allow-headers", "Accept, Accept-Language, Content-Language, Content-Type")
            .header("access-control-allow-origin", PAGE)
    }

    #[test]
    fn an_error_preflight_with_cors_headers_was_refused_by_the_cors_layer() {
        let found = run(intent("PUT"), vec![starlette_400()]);
        assert_eq!(
            found,
            [Cause::PreflightRefusedByCorsLayer {
                status: 400,
                refused: CorsError::MethodDisallowedByPreflightResponse { method: "PUT".to_owned() }
            }]
        );
        assert!(found[0].fix().unwrap().contains("Add PUT"));
        // Without CORS headers it could be anything (authentication, routing): no cause.
        assert_eq!(run(intent("PUT"), vec![Response::new(401)]), []);
    }

    #[test]
    fn a_lower_case_method_is_fixed_in_the_page() {
        let grant = Response::new(204)
            .header("access-control-allow-origin", PAGE)
            .header("access-control-allow-methods", "PATCH");
        let found = run(intent("patch"), vec![grant]);
        assert_eq!(found, [Cause::LowerCaseMethod { sent: "patch".to_owned(), explains: true }]);
        assert!(found[0].fix_is_in_the_page() && found[0].fix().unwrap().contains("method: 'PATCH'"));
    }

    #[test]
    fn a_lower_case_method_behind_another_failure_is_only_mentioned() {
        // No CORS at all: fixing the method alone would not help.
        let found = run(intent("patch"), vec![Response::new(204)]);
        assert_eq!(found, [Cause::LowerCaseMethod { sent: "patch".to_owned(), explains: false }]);
        assert!(!found[0].fix_is_in_the_page() && !found[0].explains_block());
        // A `*` preflight passes, and the server refuses `patch` itself (Node's parser: 400).
        let star =
            Response::new(204).header("access-control-allow-origin", "*").header("access-control-allow-methods", "*");
        let found = run(intent("patch"), vec![star, Response::new(400)]);
        assert_eq!(found, [Cause::LowerCaseMethod { sent: "patch".to_owned(), explains: true }]);
    }

    #[test]
    fn the_debug_header_names_what_was_asked() {
        let refused = Response::new(403).header("corsair-refusal", "method");
        let found = run(intent("DELETE"), vec![refused]);
        assert!(
            found[0].explanation().contains("`corsair-refusal: method`: its CORS policy refused the method DELETE"),
            "{found:?}"
        );
        assert_eq!(found[0].fix().as_deref(), Some("Add DELETE to the server's allowed methods."));
    }

    #[test]
    fn a_redirect_without_cors_headers_is_named() {
        let found = run(intent("GET"), vec![Response::new(301).header("location", "http://127.0.0.1:8001/items")]);
        assert!(
            matches!(&found[..], [Cause::RedirectWithoutCors { status: 301, location, .. }] if location == "http://127.0.0.1:8001/items"),
            "{found:?}"
        );
    }

    #[test]
    fn nginx_marks_are_named_only_when_the_exchanges_show_them() {
        let nginx = |status| Response::new(status).header("Server", "nginx/1.22.1");
        // An `if` block with its own add_header: methods, but no origin.
        let preflight = nginx(204).header("Access-Control-Allow-Methods", "GET, PUT, DELETE");
        assert!(matches!(
            &run(intent("PUT"), vec![preflight])[..],
            [Cause::NginxAddHeaderNotInherited { kind: SendKind::Preflight, .. }]
        ));
        let good = nginx(204).header("Access-Control-Allow-Origin", PAGE).header("Access-Control-Allow-Methods", "PUT");
        let found = run(intent("PUT"), vec![good.clone(), nginx(200).header("Cache-Control", "no-store")]);
        assert!(matches!(&found[..], [Cause::NginxAddHeaderNotInherited { kind: SendKind::Actual, .. }]), "{found:?}");
        assert_eq!(run(intent("PUT"), vec![good, nginx(404)]), [Cause::NginxAddHeaderWithoutAlways { status: 404 }]);
        // One GET without CORS headers shows nothing about why.
        assert_eq!(run(intent("GET"), vec![nginx(200)]), []);
    }

    #[test]
    fn an_error_without_cors_headers_after_a_good_preflight_came_from_before_the_cors_layer() {
        let grant = Response::new(204)
            .header("access-control-allow-origin", PAGE)
            .header("access-control-allow-methods", "PUT");
        let found = run(intent("PUT").body("{oops"), vec![grant.clone(), Response::new(400)]);
        assert_eq!(found, [Cause::AnsweredBeforeCors { status: 400, with_body: true }]);
        assert!(found[0].explanation().contains("body parser"));
        let found = run(intent("PUT"), vec![grant, Response::new(401)]);
        assert_eq!(found, [Cause::AnsweredBeforeCors { status: 401, with_body: false }]);
        // Without a preflight nothing shows that a CORS layer runs at all.
        assert_eq!(run(intent("POST").body("x"), vec![Response::new(400)]), []);
    }

    #[test]
    fn an_allowed_fetch_has_no_causes() {
        assert_eq!(run(intent("GET"), vec![Response::new(200).header("access-control-allow-origin", "*")]), []);
    }
}
