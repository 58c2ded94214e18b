//! Two layers answering one request: a proxy in front of an application (`Server: nginx` with
//! `X-Powered-By: Express`), or CORS headers that arrive twice. A fix for the application alone
//! would double what the proxy adds, and the reverse; so `check` says which layers it sees and
//! where each CORS header comes from before it prints a fix.
//!
//! One extra request tells the layers' CORS lines apart: the same first request (the preflight,
//! when there is one, so nothing with side effects is sent twice) from an origin no allow-list
//! has. A line that comes back for that origin too (`*`, or the origin echoed) was written by a
//! layer that does not check origins; a line that disappears was written by an allow-list.
//! nginx writes its `add_header` lines after every line the upstream sent, so when nginx is in
//! front, the last of two equal names is nginx's.

use corsair_core::browser::{Credentials, Intent, Response, SendKind};
use corsair_core::Origin;
use corsair_probe::{Exchange, Transcript, Until};
use serde_json::{json, Value};

/// The origin of the extra request: reserved (`.invalid`), so no allow-list can hold it.
pub const UNLISTED_ORIGIN: &str = "https://unlisted.corsair.invalid";

/// A layer named by a response header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// The product, in its own spelling.
    pub product: &'static str,
    /// The header line that names it.
    pub evidence: String,
}

/// What the answers show about the layers in front of the resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layers {
    /// The proxy or web server that answered (from `Server`).
    pub front: Option<Named>,
    /// The application behind it (from `X-Powered-By`, which proxies pass on).
    pub app: Option<Named>,
    /// CORS header names an answer carried twice (two lines, or two origins in one value).
    pub duplicated: Vec<String>,
    /// The CORS lines of the first answer, in order (the page's origin).
    pub page_lines: Vec<(String, String)>,
    /// The CORS lines of the same request from [`UNLISTED_ORIGIN`], once asked.
    pub unlisted_lines: Option<Vec<(String, String)>>,
}

impl Layers {
    /// Reads the transcript's answers; the extra request is [`Layers::extra_request`].
    pub fn seen(t: &Transcript) -> Layers {
        let answers: Vec<&Response> =
            t.exchanges.iter().filter_map(|x| x.response.as_ref().ok()).map(|r| &r.response).collect();
        let mut layers = Layers::default();
        for r in &answers {
            let get = |n: &str| r.headers.iter().find(|(h, _)| h.eq_ignore_ascii_case(n)).map(|(_, v)| lossy(v));
            if layers.front.is_none() {
                layers.front = get("server")
                    .and_then(|v| front(&v).map(|p| Named { product: p, evidence: format!("Server: {v}") }));
            }
            if layers.app.is_none() {
                layers.app = get("x-powered-by")
                    .and_then(|v| app(&v).map(|p| Named { product: p, evidence: format!("X-Powered-By: {v}") }));
            }
            for name in cors_names(r) {
                let lines = r.headers.iter().filter(|(h, _)| h.eq_ignore_ascii_case(&name)).count();
                let two_origins = name == "access-control-allow-origin"
                    && r.normalized(&name).is_some_and(|v| v.contains(&b',') || v.contains(&b' '));
                if (lines > 1 || two_origins) && !layers.duplicated.contains(&name) {
                    layers.duplicated.push(name);
                }
            }
        }
        layers.page_lines = answers.first().map(|r| cors_lines(r)).unwrap_or_default();
        layers
    }

    /// True when a proxy and an application both answer, or a CORS header came twice.
    pub fn two(&self) -> bool {
        (self.front.is_some() && self.app.is_some()) || !self.duplicated.is_empty()
    }

    /// The extra request: the transcript's first request again from [`UNLISTED_ORIGIN`]. The
    /// preflight alone when there was one; a simple request other than GET or HEAD is sent as
    /// GET (a second POST may act twice; CORS layers answer every method alike).
    pub fn extra_request(intent: &Intent, t: &Transcript) -> Option<(Intent, Until)> {
        let first = t.exchanges.first()?;
        let origin = Origin::parse(UNLISTED_ORIGIN).ok()?;
        let mut extra = intent.clone();
        extra.page_origin = origin;
        extra.page_url = None;
        extra.credentials =
            if intent.credentials == Credentials::Include { Credentials::Include } else { Credentials::Omit };
        if first.request.kind == SendKind::Preflight {
            return Some((extra, Until::Preflight));
        }
        if !matches!(first.request.method.as_str(), "GET" | "HEAD") {
            extra.method = "GET".to_owned();
            extra.body = None;
        }
        Some((extra, Until::Verdict))
    }

    /// Keeps the CORS lines of the extra request's first answer.
    pub fn attribute(&mut self, exchanges: &[Exchange]) {
        let first = exchanges.first().and_then(|x| x.response.as_ref().ok());
        self.unlisted_lines = first.map(|r| cors_lines(&r.response));
    }

    /// What each `Access-Control-Allow-Origin` line of the first answer is, from the extra
    /// request: one sentence each.
    pub fn origins_of_lines(&self) -> Vec<String> {
        let Some(unlisted) = &self.unlisted_lines else { return Vec::new() };
        let acao = "access-control-allow-origin";
        let page: Vec<&String> = self.page_lines.iter().filter(|(n, _)| n == acao).map(|(_, v)| v).collect();
        let other: Vec<&String> = unlisted.iter().filter(|(n, _)| n == acao).map(|(_, v)| v).collect();
        let got = if other.is_empty() {
            format!("{UNLISTED_ORIGIN} gets none")
        } else {
            let values: Vec<&str> = other.iter().map(|v| v.as_str()).collect();
            format!("{UNLISTED_ORIGIN} gets `{}`", values.join("`, `"))
        };
        if page.is_empty() {
            return vec![format!(
                "no Access-Control-Allow-Origin for this page; {got}{}",
                if other.is_empty() {
                    ": the layer that adds CORS headers checks a list that lacks the page"
                } else {
                    ""
                }
            )];
        }
        let nginx_pair =
            page.len() == 2 && self.front.as_ref().is_some_and(|f| f.product == "nginx") && self.app.is_some();
        let app = self.app.as_ref().map_or("the app", |a| a.product);
        page.iter()
            .enumerate()
            .map(|(i, v)| {
                // Lines keep their order in both answers; nginx writes its own after the app's.
                let for_any = i + other.len() >= page.len();
                let what = match (other.len(), nginx_pair) {
                    (0, _) => "not sent to an unlisted origin: an allow-list wrote it".to_owned(),
                    (k, _) if k >= page.len() => {
                        "sent to an unlisted origin too: a layer that allows every origin".to_owned()
                    }
                    (_, true) if for_any => "nginx's add_header (nginx writes its lines after the upstream's); sent to an unlisted origin too: it allows every origin".to_owned(),
                    (_, true) => format!("{app}'s, behind nginx; not sent to an unlisted origin: an allow-list"),
                    (k, false) => format!("{k} of these {} lines also go to an unlisted origin", page.len()),
                };
                format!("Access-Control-Allow-Origin: {v}  <- {what}")
            })
            .chain(std::iter::once(format!("({got})")))
            .collect()
    }

    /// The fix when a header comes twice: keep one layer's lines. `None` when nothing is doubled
    /// (then the stack's own fix applies, in one layer only).
    pub fn fix(&self) -> Option<(String, String)> {
        if self.duplicated.is_empty() {
            return None;
        }
        let names = self.duplicated.iter().map(|n| title(n)).collect::<Vec<_>>().join(", ");
        let app = self.app.as_ref().map_or("the application", |a| a.product);
        match self.front.as_ref().map(|f| f.product) {
            Some("nginx") => {
                let mut s = String::new();
                s.push_str(&format!(
                    "# Both nginx and {app} send {names}; browsers refuse two values. Keep one layer.\n"
                ));
                s.push_str(&format!(
                    "# Remove nginx's copy ({app} already answers): delete every `add_header Access-Control-*`\n# line, and an `if ($request_method = OPTIONS)` block that answers preflights, from the location\n# that proxies to {app} and from its server block.\n"
                ));
                if self.some_layer_allows_any_origin() {
                    // Keeping nginx's lines would keep the layer that answers every origin.
                    s.push_str(&format!(
                        "# Not the other way round: nginx's lines answer an origin no list has ({UNLISTED_ORIGIN}),\n# so every site could read the API; {app}'s list is the one to keep.\n"
                    ));
                } else {
                    s.push_str(&format!("# Or keep nginx's lines and drop {app}'s, in that location:\n"));
                    for n in cors_header_names(&self.page_lines) {
                        s.push_str(&format!("# proxy_hide_header {};\n", title(&n)));
                    }
                }
                Some(("nginx.conf, the location that proxies to the app".to_owned(), s))
            }
            front => {
                let front = front.unwrap_or("a proxy");
                Some((
                    "the two layers".to_owned(),
                    format!(
                        "# Two layers send {names} ({front} and {app}); browsers refuse two values.\n# Remove the CORS headers from one of them; keep the one that checks the origin against a list.\n"
                    ),
                ))
            }
        }
    }

    /// Whether the extra request from [`UNLISTED_ORIGIN`] was allowed (`*`, or that origin
    /// echoed): a layer answers every origin, and no fix should keep it.
    fn some_layer_allows_any_origin(&self) -> bool {
        self.unlisted_lines.as_ref().is_some_and(|lines| {
            lines.iter().any(|(n, v)| n == "access-control-allow-origin" && (v == "*" || v == UNLISTED_ORIGIN))
        })
    }

    /// The JSON object `check --format json` adds under `layers`.
    pub fn to_json(&self) -> Value {
        let named = |n: &Option<Named>| n.as_ref().map(|n| json!({"product": n.product, "evidence": n.evidence}));
        json!({
            "front": named(&self.front),
            "app": named(&self.app),
            "duplicated": self.duplicated,
            "unlisted_origin": UNLISTED_ORIGIN,
            "unlisted_origin_lines": self.unlisted_lines.as_ref().map(|l| l.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>()),
            "lines": self.origins_of_lines(),
        })
    }
}

fn lossy(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// Proxies and web servers by a word of their `Server` value.
const FRONTS: [(&str, &str); 5] =
    [("nginx", "nginx"), ("openresty", "nginx"), ("apache", "Apache httpd"), ("caddy", "Caddy"), ("envoy", "Envoy")];

/// Application frameworks by a word of their `X-Powered-By` value.
const APPS: [(&str, &str); 5] =
    [("express", "Express"), ("next.js", "Next.js"), ("php", "PHP"), ("asp.net", "ASP.NET"), ("django", "Django")];

/// The product whose word `value` holds (case-insensitive).
fn product(table: &[(&str, &'static str)], value: &str) -> Option<&'static str> {
    let v = value.to_ascii_lowercase();
    table.iter().find(|(word, _)| v.contains(word)).map(|(_, p)| *p)
}

fn front(server: &str) -> Option<&'static str> {
    product(&FRONTS, server)
}

fn app(powered: &str) -> Option<&'static str> {
    product(&APPS, powered)
}

/// The distinct `Access-Control-*` names of an answer, lower case, in order.
fn cors_names(r: &Response) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (n, _) in &r.headers {
        let n = n.to_ascii_lowercase();
        if n.starts_with("access-control-") && !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// The `Access-Control-*` lines of an answer, names in lower case, in order.
fn cors_lines(r: &Response) -> Vec<(String, String)> {
    r.headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), lossy(v)))
        .filter(|(n, _)| n.starts_with("access-control-"))
        .collect()
}

fn cors_header_names(lines: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (n, _) in lines {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// `access-control-allow-origin` as `Access-Control-Allow-Origin`.
pub fn title(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_named_by_their_headers() {
        assert_eq!(front("nginx/1.22.1"), Some("nginx"));
        assert_eq!(front("uvicorn"), None);
        assert_eq!(app("Express"), Some("Express"));
        assert_eq!(app("PHP/8.2.7"), Some("PHP"));
        assert_eq!(title("access-control-allow-origin"), "Access-Control-Allow-Origin");
    }
}
