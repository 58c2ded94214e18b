//! The exchange as a sequence diagram's steps: one lane for the page, one per server origin, and
//! an arrow per request or answer. The page draws them; the failing answer is marked.

use serde_json::{json, Value};

/// What an arrow is.
#[derive(Clone, Copy)]
pub enum Arrow {
    /// The browser's OPTIONS preflight.
    Preflight,
    /// The page's request (or a redirect's next hop).
    Request,
    /// An answer.
    Response,
    /// An answer that redirects.
    Redirect,
    /// A request the browser never sent (the preflight failed).
    Unsent,
    /// A request whose answer the HAR does not hold.
    Missing,
}

impl Arrow {
    fn name(self) -> &'static str {
        match self {
            Arrow::Preflight => "preflight",
            Arrow::Request => "request",
            Arrow::Response => "response",
            Arrow::Redirect => "redirect",
            Arrow::Unsent => "unsent",
            Arrow::Missing => "missing",
        }
    }

    /// True for arrows from the page to a server.
    fn outbound(self) -> bool {
        matches!(self, Arrow::Preflight | Arrow::Request | Arrow::Unsent | Arrow::Missing)
    }
}

/// Lanes and steps, in order.
pub struct Diagram {
    lanes: Vec<String>,
    steps: Vec<Value>,
}

impl Diagram {
    /// A diagram whose first lane is the page at `page_origin`.
    pub fn new(page_origin: &str) -> Diagram {
        Diagram { lanes: vec![format!("page {page_origin}")], steps: Vec::new() }
    }

    /// The lane of the server at `url`'s origin, added on first use.
    fn lane(&mut self, url: &str) -> usize {
        let origin = url_origin(url);
        match self.lanes.iter().skip(1).position(|l| *l == origin) {
            Some(i) => i + 1,
            None => {
                self.lanes.push(origin);
                self.lanes.len() - 1
            }
        }
    }

    /// Adds an arrow between the page and the server of `url`.
    pub fn step(&mut self, arrow: Arrow, url: &str, label: String, details: Vec<String>, failed: bool) {
        let server = self.lane(url);
        let (from, to) = if arrow.outbound() { (0, server) } else { (server, 0) };
        self.steps.push(json!({
            "from": from,
            "to": to,
            "kind": arrow.name(),
            "label": label,
            "details": details,
            "failed": failed,
        }));
    }

    /// The diagram as JSON: `{"lanes": [...], "steps": [{from, to, kind, label, details, failed}]}`.
    pub fn to_json(&self) -> Value {
        json!({ "lanes": self.lanes, "steps": self.steps })
    }
}

/// `scheme://host[:port]` of a URL, or the text itself when it is none.
fn url_origin(url: &str) -> String {
    match http::Uri::try_from(url) {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(s), Some(a)) => format!("{s}://{a}"),
            _ => url.to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// Header lines a CORS diagram shows: the CORS ones, and those that explain a redirect or cache.
pub fn shown_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "origin" || n.starts_with("access-control-") || n == "location" || n == "vary"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_get_one_lane_each_and_answers_point_back_at_the_page() {
        let mut d = Diagram::new("https://app.test");
        d.step(Arrow::Request, "https://a.test/x", "GET".into(), vec![], false);
        d.step(Arrow::Redirect, "https://a.test/x", "302".into(), vec![], false);
        d.step(Arrow::Request, "https://b.test:8443/y", "GET".into(), vec![], false);
        d.step(Arrow::Response, "https://b.test:8443/y", "200".into(), vec![], true);
        let j = d.to_json();
        assert_eq!(j["lanes"], json!(["page https://app.test", "https://a.test", "https://b.test:8443"]));
        assert_eq!((j["steps"][1]["from"].as_u64(), j["steps"][1]["to"].as_u64()), (Some(1), Some(0)));
        assert_eq!(j["steps"][3]["failed"], true);
        assert_eq!(url_origin("not a url"), "not a url");
    }
}
