//! Server configuration that applies a fix, for the server software in front of the API.
//!
//! `corsair check` detects the software from `Server` and `X-Powered-By` (or takes `--stack`) and
//! prints a snippet that allows exactly what the failing request needed: this page's origin, its
//! method, its request headers, and credentials if it sends them. Every snippet checks the
//! origin against a list; none echoes the `Origin` header unchecked.

use clap::ValueEnum;
use corsair_core::browser::Blocked;
use corsair_core::Policy;
use corsair_probe::Transcript;

/// Server software corsair writes snippets for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stack {
    /// nginx (`add_header ... always`).
    Nginx,
    /// Apache httpd with mod_headers.
    Apache,
    /// Caddy v2.
    Caddy,
    /// Express with the `cors` package.
    Express,
    /// Django with django-cors-headers.
    Django,
    /// FastAPI / Starlette `CORSMiddleware`.
    Fastapi,
    /// axum with tower-http's `CorsLayer`.
    Axum,
    /// Appwrite (web platforms in the console).
    Appwrite,
}

impl Stack {
    /// The `--stack` value.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Nginx => "nginx",
            Stack::Apache => "apache",
            Stack::Caddy => "caddy",
            Stack::Express => "express",
            Stack::Django => "django",
            Stack::Fastapi => "fastapi",
            Stack::Axum => "axum",
            Stack::Appwrite => "appwrite",
        }
    }

    /// The product name.
    pub fn title(self) -> &'static str {
        match self {
            Stack::Nginx => "nginx",
            Stack::Apache => "Apache httpd",
            Stack::Caddy => "Caddy",
            Stack::Express => "Express",
            Stack::Django => "Django",
            Stack::Fastapi => "FastAPI",
            Stack::Axum => "axum",
            Stack::Appwrite => "Appwrite",
        }
    }

    /// Why this stack was chosen.
    pub fn reason(self, detected: bool) -> &'static str {
        if detected {
            "detected from the response headers; override with --stack"
        } else {
            "--stack"
        }
    }
}

/// Guesses the server software from the responses' `Server` and `X-Powered-By` headers.
pub fn detect(t: &Transcript) -> Option<Stack> {
    for x in t.exchanges.iter().rev() {
        let Ok(r) = &x.response else { continue };
        let get = |n: &str| r.response.normalized(n).map(|v| String::from_utf8_lossy(&v).to_ascii_lowercase());
        let server = get("server").unwrap_or_default();
        let powered = get("x-powered-by").unwrap_or_default();
        let appwrite = r.response.headers.iter().any(|(n, _)| n.to_ascii_lowercase().starts_with("x-appwrite-"));
        let found = if appwrite || server.contains("appwrite") {
            Some(Stack::Appwrite)
        } else if powered.contains("express") {
            Some(Stack::Express)
        } else if server.contains("nginx") || server.contains("openresty") {
            Some(Stack::Nginx)
        } else if server.contains("apache") {
            Some(Stack::Apache)
        } else if server.contains("caddy") {
            Some(Stack::Caddy)
        } else if server.contains("uvicorn") || server.contains("hypercorn") {
            Some(Stack::Fastapi)
        } else if server.contains("wsgiserver") || server.contains("gunicorn") || powered.contains("django") {
            Some(Stack::Django)
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// What the snippet must allow.
struct Needs {
    origin: String,
    credentials: bool,
    method: Option<String>,
    headers: Vec<String>,
}

impl Needs {
    fn of(b: &Blocked) -> Needs {
        // Upper-cased: a lower-case method is fixed in the page (check says so), and a policy
        // lists methods as the page must then send them.
        let method = (!corsair_core::method::is_safelisted(&b.method)).then(|| b.method.to_ascii_uppercase());
        Needs {
            origin: b.page_origin.to_string(),
            credentials: b.include_credentials,
            method,
            headers: b.unsafe_headers.clone(),
        }
    }

    fn methods_with_defaults(&self) -> Vec<String> {
        let mut m: Vec<String> = ["GET", "HEAD", "POST"].iter().map(|s| (*s).to_owned()).collect();
        if let Some(x) = &self.method {
            if !m.contains(x) {
                m.push(x.clone());
            }
        }
        m
    }
}

/// The `corsair snippet` arguments (after `corsair`) that write a run-verified configuration
/// allowing exactly what the blocked request needed, for the stacks corsair-snippet covers:
/// the quick fix above fixes one request, this one is the whole layer, checked in the real server.
/// `None` for stacks it does not cover yet, and for a page without a real origin (its fix is to
/// serve the page from one, never to allow `null`).
pub fn verified_args(stack: Stack, b: &Blocked) -> Option<Vec<String>> {
    let name = match stack {
        Stack::Fastapi => "fastapi",
        other => verified_stack(other)?.name(),
    };
    let (_, insecure) = implied(b)?;
    let n = Needs::of(b);
    let mut args: Vec<String> =
        ["snippet", "--for", name, "--allow-origin", &n.origin].iter().map(|s| (*s).to_owned()).collect();
    if let Some(m) = &n.method {
        args.extend(["--allow-methods".to_owned(), m.clone()]);
    }
    if !n.headers.is_empty() {
        args.extend(["--allow-headers".to_owned(), n.headers.join(",")]);
    }
    if n.credentials {
        args.push("--allow-credentials".to_owned());
    }
    if insecure {
        args.push("--dangerously-allow-insecure-origins".to_owned());
    }
    Some(args)
}

/// [`verified_args`] as one shell line (`corsair ...`), each word quoted where a shell would
/// read it otherwise (header names may hold `'`, `$`, `&`, `|`; IPv6 origins `[`).
pub fn verified_command(stack: Stack, b: &Blocked) -> Option<String> {
    let words: Vec<String> = verified_args(stack, b)?.iter().map(|w| shell_word(w)).collect();
    Some(format!("corsair {}", words.join(" ")))
}

fn shell_word(w: &str) -> String {
    if !w.is_empty() && w.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.,:/=+@%".contains(&c)) {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// The stack's run-verified renderer in corsair-snippet, where there is one.
fn verified_stack(stack: Stack) -> Option<corsair_snippet::Stack> {
    match stack {
        Stack::Nginx => Some(corsair_snippet::Stack::Nginx),
        Stack::Express => Some(corsair_snippet::Stack::Express),
        Stack::Django => Some(corsair_snippet::Stack::Django),
        Stack::Fastapi => Some(corsair_snippet::Stack::Starlette),
        Stack::Axum => Some(corsair_snippet::Stack::Axum),
        Stack::Apache => Some(corsair_snippet::Stack::Apache),
        Stack::Caddy => Some(corsair_snippet::Stack::Caddy),
        Stack::Appwrite => None,
    }
}

/// The policy the fix implies, as [`verified_args`] states it: this page's origin, the
/// request's method and headers, credentials if it sends them. `None` for a page without a real
/// origin, whose fix is to get one.
pub fn implied_policy(b: &Blocked) -> Option<Policy> {
    implied(b).map(|(policy, _)| policy)
}

/// [`implied_policy`], and whether it needed `dangerously_allow_insecure_origins` (a plain-http,
/// non-loopback page sending credentials: the policy refuses that unless told, and the printed
/// command must say the word too, or it would fail when run).
fn implied(b: &Blocked) -> Option<(Policy, bool)> {
    if b.page_origin.is_null() {
        return None;
    }
    let n = Needs::of(b);
    let build = |insecure: bool| {
        let mut builder = Policy::builder()
            .allow_origins([n.origin.clone()])
            .allow_credentials(n.credentials)
            .dangerously_allow_insecure_origins(insecure);
        if let Some(m) = &n.method {
            builder = builder.allow_methods([m.clone()]);
        }
        if !n.headers.is_empty() {
            builder = builder.allow_headers(n.headers.clone());
        }
        builder.build().ok()
    };
    build(false).map(|p| (p, false)).or_else(|| build(true).map(|p| (p, true)))
}

/// The grants the blocked request needs that the answers did not give, when they show a CORS
/// layer: what a fix adds to that layer. `None` without a layer (or without a real origin).
pub fn addition(b: &Blocked) -> Option<corsair_snippet::Addition> {
    if b.page_origin.is_null() {
        return None;
    }
    let missing = b.missing_grants();
    missing.layer_seen.then(|| corsair_snippet::Addition {
        origin: missing.origin.then(|| b.page_origin.to_string()),
        credentials: missing.credentials,
        method: missing.method.map(|m| m.to_ascii_uppercase()),
        headers: missing.headers,
        outside_layer: missing.outside_layer,
    })
}

/// The fix that adds to the CORS layer the answers show, for stacks whose usual layer takes
/// additions (Express's `cors`, django-cors-headers, Starlette's `CORSMiddleware`).
pub fn amendment(stack: Stack, b: &Blocked) -> Option<corsair_snippet::Snippet> {
    corsair_snippet::amend(&addition(b)?, verified_stack(stack)?)
}

/// [`render`] as its parts (where each goes, what to paste), for tools that apply them.
pub fn render_parts(stack: Stack, b: &Blocked) -> Vec<corsair_snippet::Part> {
    if let Some(a) = amendment(stack, b) {
        return a.parts;
    }
    if let (Some(s), Some(policy)) = (verified_stack(stack), implied_policy(b)) {
        return corsair_snippet::render(&policy, s).parts;
    }
    vec![corsair_snippet::Part { place: stack.title().to_owned(), text: render(stack, b) }]
}

/// The configuration for `stack` that lets the blocked request through: an addition to the CORS
/// layer the answers show where the stack's layer takes one ([`amendment`]), else corsair-snippet's
/// run-verified snippet for the implied policy where the stack has it, else a per-request snippet.
pub fn render(stack: Stack, b: &Blocked) -> String {
    if let Some(a) = amendment(stack, b) {
        return a.to_string();
    }
    if let (Some(s), Some(policy)) = (verified_stack(stack), implied_policy(b)) {
        return corsair_snippet::render(&policy, s).to_string();
    }
    let n = Needs::of(b);
    let methods = n.methods_with_defaults();
    let o = &n.origin;
    match stack {
        Stack::Apache => {
            let re = o.replace('.', "\\.");
            let mut s = format!(
                "# mod_headers and mod_rewrite; in the VirtualHost or .htaccess of the API.\n\
                 SetEnvIf Origin \"^{re}$\" CORS_ORIGIN=$0\n\
                 Header always set Access-Control-Allow-Origin \"%{{CORS_ORIGIN}}e\" env=CORS_ORIGIN\n"
            );
            if n.credentials {
                s.push_str("Header always set Access-Control-Allow-Credentials \"true\" env=CORS_ORIGIN\n");
            }
            s.push_str("Header always merge Vary Origin\n");
            s.push_str(&format!(
                "Header always set Access-Control-Allow-Methods \"{}\" env=CORS_ORIGIN\n",
                methods.join(", ")
            ));
            if !n.headers.is_empty() {
                s.push_str(&format!(
                    "Header always set Access-Control-Allow-Headers \"{}\" env=CORS_ORIGIN\n",
                    n.headers.join(", ")
                ));
            }
            s.push_str("RewriteEngine On\nRewriteCond %{REQUEST_METHOD} OPTIONS\nRewriteRule ^ - [R=204,L]\n");
            s
        }
        Stack::Caddy => {
            let mut s = format!("@cors header Origin {o}\nheader @cors {{\n    Access-Control-Allow-Origin \"{o}\"\n");
            if n.credentials {
                s.push_str("    Access-Control-Allow-Credentials \"true\"\n");
            }
            s.push_str("    +Vary Origin\n}\n@preflight {\n    method OPTIONS\n");
            s.push_str(&format!("    header Origin {o}\n}}\nhandle @preflight {{\n"));
            s.push_str(&format!("    header Access-Control-Allow-Methods \"{}\"\n", methods.join(", ")));
            if !n.headers.is_empty() {
                s.push_str(&format!("    header Access-Control-Allow-Headers \"{}\"\n", n.headers.join(", ")));
            }
            s.push_str("    respond 204\n}\n");
            s
        }
        Stack::Nginx | Stack::Express | Stack::Django | Stack::Fastapi | Stack::Axum => {
            // Only a page without an origin of its own gets here (see implied_policy).
            "No server configuration fixes this: the page has no origin of its own (`null`).\n\
             Serve it over http(s) from a real origin and check again.\n"
                .to_owned()
        }
        Stack::Appwrite => {
            let host = b.page_origin.host().to_owned();
            format!(
                "Appwrite answers CORS from the platforms registered in the project:\n\
                 Console -> your project -> Overview -> Platforms -> Add platform -> Web app,\n\
                 hostname `{host}` (the page's host, without scheme or port).\n\
                 Self-hosted: also make sure _APP_DOMAIN and the endpoint the SDK uses match the URL called.\n"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corsair_core::browser::{Credentials, Fetch, Intent, Response, Step, Verdict};
    use corsair_core::Origin;

    fn blocked(method: &str, header: Option<(&str, &str)>, credentials: Credentials) -> Blocked {
        let mut intent =
            Intent::new("http://127.0.0.1:8080/api".parse().unwrap(), Origin::parse("http://localhost:5173").unwrap())
                .method(method)
                .credentials(credentials);
        if let Some((n, v)) = header {
            intent = intent.header(n, v);
        }
        let mut f = Fetch::new(intent);
        if let Step::Send(_) = f.next() {
            f.receive(Response::new(404));
        }
        match f.next() {
            Step::Done(Verdict::Blocked(b)) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_snippet_names_the_origin_and_never_echoes_unchecked() {
        let b = blocked("PUT", Some(("X-Trace", "1")), Credentials::Include);
        for stack in Stack::value_variants() {
            let s = render(*stack, &b);
            if *stack == Stack::Appwrite {
                assert!(s.contains("`localhost`"), "{s}");
                continue;
            }
            assert!(
                s.contains("http://localhost:5173") || s.contains("http://localhost:5173".replace('.', "\\.").as_str()),
                "{stack:?}: {s}"
            );
            assert!(s.contains("PUT"), "{stack:?}: {s}");
            assert!(s.contains("x-trace"), "{stack:?}: {s}");
            assert!(s.to_lowercase().contains("credentials"), "{stack:?}: {s}");
            assert!(!s.contains("$http_origin always"), "nginx must not echo the raw Origin: {s}");
        }
    }

    #[test]
    fn no_credentials_line_when_the_page_sends_none() {
        let b = blocked("GET", None, Credentials::SameOrigin);
        for stack in
            [Stack::Nginx, Stack::Express, Stack::Django, Stack::Fastapi, Stack::Axum, Stack::Caddy, Stack::Apache]
        {
            assert!(
                !render(stack, &b).contains("redentials\" \"true") && !render(stack, &b).contains("credentials: true"),
                "{stack:?}"
            );
        }
    }

    #[test]
    fn covered_stacks_print_the_run_verified_snippet_of_the_implied_policy() {
        let b = blocked("DELETE", Some(("X-Trace", "1")), Credentials::Include);
        let policy = implied_policy(&b).expect("a real origin");
        for (stack, verified) in [
            (Stack::Nginx, corsair_snippet::Stack::Nginx),
            (Stack::Express, corsair_snippet::Stack::Express),
            (Stack::Django, corsair_snippet::Stack::Django),
            (Stack::Fastapi, corsair_snippet::Stack::Starlette),
            (Stack::Axum, corsair_snippet::Stack::Axum),
            (Stack::Apache, corsair_snippet::Stack::Apache),
            (Stack::Caddy, corsair_snippet::Stack::Caddy),
        ] {
            assert_eq!(render(stack, &b), corsair_snippet::render(&policy, verified).to_string(), "{stack:?}");
        }
        let mut null = b.clone();
        null.page_origin = Origin::parse("null").unwrap();
        assert!(render(Stack::Nginx, &null).contains("no origin of its own"));
    }

    #[test]
    fn apache_anchors_and_escapes_the_origin() {
        let b = blocked("GET", None, Credentials::Omit);
        assert!(render(Stack::Apache, &b).contains("\"^http://localhost:5173$\""));
        let mut b2 = b.clone();
        b2.page_origin = Origin::parse("https://app.example.com").unwrap();
        assert!(render(Stack::Apache, &b2).contains("^https://app\\.example\\.com$"));
    }

    /// A server that answers as the policy decides (the snippets' tests show each stack's real
    /// server answering exactly so), for the browser model.
    fn answer_by(policy: &corsair_core::Policy, req: &corsair_core::browser::Request) -> Response {
        use http::{HeaderMap, HeaderName, HeaderValue, Method};
        let method = Method::from_bytes(req.method.as_bytes()).unwrap();
        let mut headers = HeaderMap::new();
        for (n, v) in &req.headers {
            headers.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        let decision = policy.decide((&method, &headers));
        let status = match decision.action() {
            corsair_core::Action::Respond(s) => s.as_u16(),
            corsair_core::Action::Forward => 200,
        };
        let mut lines = HeaderMap::new();
        decision.apply_to(&mut lines);
        lines.iter().fold(Response::new(status), |r, (n, v)| r.header(n.as_str(), v.to_str().unwrap()))
    }

    /// Advice must work when followed: for every blocked request (methods, custom and
    /// authorization headers, with and without credentials, from a plain-http dev origin and an
    /// https one), the printed `corsair snippet` command parses, its policy validates, the snippet
    /// renders without warnings, and a server answering by that policy lets the request through.
    #[test]
    fn the_verified_snippet_command_lets_the_blocked_request_through() {
        use clap::Parser;
        let mut checked = 0;
        for page in ["http://localhost:5173", "https://app.example.com", "http://app.test:3000"] {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                for headers in [
                    &[][..],
                    &[("content-type", "application/json")],
                    &[("authorization", "Bearer t"), ("x-trace", "1")],
                ] {
                    for credentials in [Credentials::SameOrigin, Credentials::Include] {
                        let mut intent =
                            Intent::new("https://api.test/items".parse().unwrap(), Origin::parse(page).unwrap())
                                .method(method)
                                .credentials(credentials);
                        for (n, v) in headers {
                            intent = intent.header(n, v);
                        }
                        let run = |answer: &dyn Fn(&corsair_core::browser::Request) -> Response| {
                            let mut f = Fetch::new(intent.clone());
                            loop {
                                match f.next() {
                                    Step::Send(r) => f.receive(answer(&r)),
                                    Step::Done(v) => return v,
                                }
                            }
                        };
                        let Verdict::Blocked(b) = run(&|_| Response::new(200)) else { continue };
                        for stack in [
                            Stack::Nginx,
                            Stack::Apache,
                            Stack::Caddy,
                            Stack::Express,
                            Stack::Django,
                            Stack::Fastapi,
                            Stack::Axum,
                        ] {
                            let what = format!("{stack:?} {page} {method} {headers:?} {credentials:?}");
                            let args = verified_args(stack, &b).expect("a covered stack");
                            let cli =
                                crate::cli::Cli::try_parse_from(std::iter::once("corsair".to_owned()).chain(args))
                                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                            let crate::cli::Command::Snippet(a) = cli.command else { panic!("{what}: not snippet") };
                            let mut err = Vec::new();
                            let policy = crate::cmd::snippet::policy(&a, &|_| None, &mut err)
                                .unwrap_or_else(|_| panic!("{what}: {}", String::from_utf8_lossy(&err)));
                            let stack_name = a.stack.as_deref().unwrap();
                            let rendered = corsair_snippet::render(
                                &policy,
                                corsair_snippet::Stack::from_name(stack_name).unwrap(),
                            );
                            assert!(rendered.warnings.is_empty(), "{what}: {:?}", rendered.warnings);
                            match run(&|r| answer_by(&policy, r)) {
                                Verdict::Allowed(_) => checked += 1,
                                Verdict::Blocked(next) => panic!("{what}: still blocked: {}", next.console_message()),
                            }
                        }
                    }
                }
            }
        }
        println!("{checked} blocked requests let through by following the printed command");
        assert!(checked >= 630, "only {checked} cases: the matrix lost its blocked requests");
    }

    #[test]
    fn a_page_without_a_real_origin_gets_no_snippet_command() {
        let mut b = blocked("PUT", None, Credentials::SameOrigin);
        b.page_origin = Origin::parse("null").unwrap();
        assert_eq!(verified_command(Stack::Nginx, &b), None);
    }

    #[test]
    fn the_command_is_one_shell_line_bash_reads_back_word_for_word() {
        let b = blocked("PUT", Some(("x-odd$name'|", "1")), Credentials::Include);
        let line = verified_command(Stack::Express, &b).unwrap();
        let out = std::process::Command::new("bash")
            .args(["-c", &format!("set -- {}; printf '%s\\n' \"$@\"", line.trim_start_matches("corsair "))])
            .output()
            .expect("bash runs");
        let words: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
        assert_eq!(words, verified_args(Stack::Express, &b).unwrap());
    }
}
