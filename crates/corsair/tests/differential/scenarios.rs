//! The scenarios of the differential suite: what the page's `fetch()` asks for, and how the
//! scripted servers answer each request.
//!
//! Header values are templates: `{page}`, `{api}` and `{other}` become the three servers'
//! origins (`http://127.0.0.1:P`, `http://127.0.0.2:Q`, `http://127.0.0.3:R`), `{page_host}` the
//! page's `HOST:PORT`, and `{s}` the scenario's path prefix (`/s07`). A character U+0080..U+00FF
//! is sent as that one byte (Latin-1), so a test can put obs-text on the wire.

/// Which of the three loopback servers answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// `http://127.0.0.1:P`: the page's own origin.
    Page,
    /// `http://127.0.0.2:Q`: the API the page calls.
    Api,
    /// `http://127.0.0.3:R`: a third origin for cross-origin redirects.
    Other,
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Route {
    /// The server.
    pub host: Host,
    /// The path after the scenario prefix (`a` for `/s07/a`).
    pub path: &'static str,
    /// True to answer `OPTIONS`, false to answer every other method.
    pub preflight: bool,
    /// Status.
    pub status: u16,
    /// Header lines (templates), in order, repeats allowed.
    pub headers: Vec<(&'static str, String)>,
}

/// One `fetch()` and the servers' answers. The page fetches `{api}{s}/a`.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// What it tests.
    pub name: String,
    /// The method as the script writes it.
    pub method: String,
    /// Request headers the script sets, in order.
    pub headers: Vec<(String, String)>,
    /// `omit`, `same-origin` or `include`.
    pub credentials: &'static str,
    /// `follow`, `error` or `manual`.
    pub redirect: &'static str,
    /// The answers.
    pub routes: Vec<Route>,
    /// A disagreement investigated and understood but not (yet) reproducible by the model:
    /// `(aspect, why)`. The suite reports it as "known" instead of failing, and fails if the two
    /// sides start agreeing on that aspect (so the mark cannot go stale).
    pub known: Option<(&'static str, &'static str)>,
}

impl Scenario {
    fn new(name: &str) -> Scenario {
        Scenario {
            name: name.to_owned(),
            method: "GET".to_owned(),
            headers: Vec::new(),
            credentials: "same-origin",
            redirect: "follow",
            routes: Vec::new(),
            known: None,
        }
    }

    fn method(mut self, method: &str) -> Scenario {
        method.clone_into(&mut self.method);
        self
    }

    fn header(mut self, name: &str, value: &str) -> Scenario {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn credentials(mut self, credentials: &'static str) -> Scenario {
        self.credentials = credentials;
        self
    }

    fn include(self) -> Scenario {
        self.credentials("include")
    }

    fn redirect(mut self, redirect: &'static str) -> Scenario {
        self.redirect = redirect;
        self
    }

    fn route(
        mut self,
        host: Host,
        path: &'static str,
        preflight: bool,
        status: u16,
        headers: &[(&'static str, &str)],
    ) -> Scenario {
        let headers = headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
        self.routes.push(Route { host, path, preflight, status, headers });
        self
    }

    fn known_divergence(mut self, aspect: &'static str, why: &'static str) -> Scenario {
        self.known = Some((aspect, why));
        self
    }

    /// How the API answers the actual request at `{s}/a`.
    fn actual(self, status: u16, headers: &[(&'static str, &str)]) -> Scenario {
        self.route(Host::Api, "a", false, status, headers)
    }

    /// How the API answers the preflight at `{s}/a`.
    fn preflight(self, status: u16, headers: &[(&'static str, &str)]) -> Scenario {
        self.route(Host::Api, "a", true, status, headers)
    }

    /// The answer to a request, or `None` if the scenario scripts none (the server then says 404).
    pub fn answer(&self, host: Host, path: &str, preflight: bool) -> Option<&Route> {
        self.routes.iter().find(|r| r.host == host && r.path == path && r.preflight == preflight)
    }
}

const ACAO: &str = "Access-Control-Allow-Origin";
const ACAC: &str = "Access-Control-Allow-Credentials";
const ACAM: &str = "Access-Control-Allow-Methods";
const ACAH: &str = "Access-Control-Allow-Headers";
const ACEH: &str = "Access-Control-Expose-Headers";
const MAX_AGE: &str = "Access-Control-Max-Age";
const LOCATION: &str = "Location";

/// Every scenario, in the order the table prints them.
#[allow(clippy::vec_init_then_push)] // one push per scenario reads better than one long vec![]
pub fn all() -> Vec<Scenario> {
    let s = Scenario::new;
    let mut v = Vec::new();

    // --- Access-Control-Allow-Origin and -Credentials, per credentials mode -------------------
    v.push(s("no ACAO").actual(200, &[]));
    v.push(s("no ACAO, include").include().actual(200, &[]));
    v.push(s("ACAO *").actual(200, &[(ACAO, "*")]));
    v.push(s("ACAO *, omit").credentials("omit").actual(200, &[(ACAO, "*")]));
    v.push(s("ACAO *, include").include().actual(200, &[(ACAO, "*")]));
    v.push(s("ACAO * + ACAC true, include").include().actual(200, &[(ACAO, "*"), (ACAC, "true")]));
    v.push(s("ACAO exact").actual(200, &[(ACAO, "{page}")]));
    v.push(s("ACAO exact, omit").credentials("omit").actual(200, &[(ACAO, "{page}")]));
    v.push(s("ACAO exact, include, no ACAC").include().actual(200, &[(ACAO, "{page}")]));
    v.push(s("ACAO exact, include, ACAC true").include().actual(200, &[(ACAO, "{page}"), (ACAC, "true")]));
    v.push(s("ACAO exact, include, ACAC TRUE").include().actual(200, &[(ACAO, "{page}"), (ACAC, "TRUE")]));
    v.push(
        s("ACAO exact, include, ACAC twice").include().actual(200, &[(ACAO, "{page}"), (ACAC, "true"), (ACAC, "true")]),
    );
    v.push(s("ACAO exact, include, ACAC empty").include().actual(200, &[(ACAO, "{page}"), (ACAC, "")]));
    v.push(s("ACAO exact, ACAC false, no include").actual(200, &[(ACAO, "{page}"), (ACAC, "false")]));
    v.push(s("ACAO other origin").actual(200, &[(ACAO, "{other}")]));
    v.push(s("ACAO trailing slash").actual(200, &[(ACAO, "{page}/")]));
    v.push(s("ACAO upper-case scheme").actual(200, &[(ACAO, "HTTP://{page_host}")]));
    v.push(s("ACAO with path").actual(200, &[(ACAO, "{page}/page")]));
    v.push(s("ACAO list 'a, b'").actual(200, &[(ACAO, "{page}, {other}")]));
    v.push(s("ACAO list 'a,b'").actual(200, &[(ACAO, "{page},{other}")]));
    v.push(s("ACAO twice, same value").actual(200, &[(ACAO, "{page}"), (ACAO, "{page}")]));
    v.push(s("ACAO twice, * and exact").actual(200, &[(ACAO, "*"), (ACAO, "{page}")]));
    v.push(s("ACAO null").actual(200, &[(ACAO, "null")]));
    v.push(s("ACAO empty").actual(200, &[(ACAO, "")]));
    v.push(s("ACAO host:port, no scheme").actual(200, &[(ACAO, "{page_host}")]));
    v.push(s("ACAO **").actual(200, &[(ACAO, "**")]));
    v.push(s("ACAO padded with spaces").actual(200, &[(ACAO, "  {page}  ")]));
    v.push(s("ACAO non-ASCII byte").actual(200, &[(ACAO, "http://caf\u{e9}.test")]));
    v.push(s("ACAO non-ASCII byte in path").actual(200, &[(ACAO, "{page}/\u{e9}")]));
    v.push(s("ACAO UTF-8 IDN host").actual(200, &[(ACAO, "http://\u{109}.test")]));

    // --- error statuses ------------------------------------------------------------------------
    v.push(s("404 with ACAO *").actual(404, &[(ACAO, "*")]));
    v.push(s("404 without ACAO").actual(404, &[]));
    v.push(s("500 with ACAO exact").actual(500, &[(ACAO, "{page}")]));
    v.push(s("500 without ACAO").actual(500, &[]));
    v.push(s("404, include, ACAO exact + ACAC").include().actual(404, &[(ACAO, "{page}"), (ACAC, "true")]));

    // --- methods -------------------------------------------------------------------------------
    let put_ok = [(ACAO, "*"), (ACAM, "PUT")];
    v.push(s("POST, simple").method("POST").actual(200, &[(ACAO, "*")]));
    v.push(s("lower-case post, simple").method("post").actual(200, &[(ACAO, "*")]));
    v.push(s("HEAD, simple").method("HEAD").actual(200, &[(ACAO, "*")]));
    v.push(s("PUT, ACAM PUT").method("PUT").preflight(204, &put_ok).actual(200, &[(ACAO, "*")]));
    v.push(s("PUT, no ACAM").method("PUT").preflight(204, &[(ACAO, "*")]).actual(200, &[(ACAO, "*")]));
    v.push(s("PUT, ACAM GET, POST").method("PUT").preflight(204, &[(ACAO, "*"), (ACAM, "GET, POST")]));
    v.push(
        s("DELETE, ACAM ' GET , DELETE '")
            .method("DELETE")
            .preflight(204, &[(ACAO, "*"), (ACAM, " GET , DELETE ")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("patch, ACAM PATCH")
            .method("patch")
            .preflight(204, &[(ACAO, "*"), (ACAM, "PATCH")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("patch, ACAM patch")
            .method("patch")
            .preflight(204, &[(ACAO, "*"), (ACAM, "patch")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(s("put, ACAM PUT").method("put").preflight(204, &put_ok).actual(200, &[(ACAO, "*")]));
    v.push(
        s("delete, ACAM DELETE")
            .method("delete")
            .preflight(204, &[(ACAO, "*"), (ACAM, "DELETE")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(s("PUT, ACAM put").method("PUT").preflight(204, &[(ACAO, "*"), (ACAM, "put")]).actual(200, &[(ACAO, "*")]));
    v.push(s("PUT, ACAM *").method("PUT").preflight(204, &[(ACAO, "*"), (ACAM, "*")]).actual(200, &[(ACAO, "*")]));
    v.push(
        s("PUT, ACAM *, include")
            .method("PUT")
            .include()
            .preflight(204, &[(ACAO, "{page}"), (ACAC, "true"), (ACAM, "*")])
            .actual(200, &[(ACAO, "{page}"), (ACAC, "true")]),
    );
    v.push(
        s("PURGE, ACAM PURGE")
            .method("PURGE")
            .preflight(204, &[(ACAO, "*"), (ACAM, "PURGE")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("ACAM on two lines")
            .method("PUT")
            .preflight(204, &[(ACAO, "*"), (ACAM, "GET"), (ACAM, "PUT")])
            .actual(200, &[(ACAO, "*")]),
    );

    // --- request-header safelist ---------------------------------------------------------------
    let long_accept = format!("a/{}", "b".repeat(127));
    let accept_128 = format!("a/{}", "b".repeat(126));
    let acah = |h: &'static str| [(ACAO, "*"), (ACAH, h)];
    v.push(
        s("Accept 129 bytes, ACAH accept")
            .header("Accept", &long_accept)
            .preflight(204, &acah("accept"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(s("Accept 128 bytes").header("Accept", &accept_128).actual(200, &[(ACAO, "*")]));
    v.push(s("Accept with '\"', no ACAH").header("Accept", "text/\"html\"").preflight(204, &[(ACAO, "*")]));
    v.push(s("Accept application/json").header("Accept", "application/json").actual(200, &[(ACAO, "*")]));
    v.push(
        s("POST text/plain;charset=utf-8")
            .method("POST")
            .header("Content-Type", "text/plain;charset=utf-8")
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("POST application/json, ACAH content-type")
            .method("POST")
            .header("Content-Type", "application/json")
            .preflight(204, &acah("content-type"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("POST application/json, no ACAH")
            .method("POST")
            .header("Content-Type", "application/json")
            .preflight(204, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type text/plain;garbage")
            .method("POST")
            .header("Content-Type", "text/plain;garbage")
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type multipart with boundary")
            .method("POST")
            .header("Content-Type", "multipart/form-data; boundary=x")
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type TEXT/PLAIN").method("POST").header("Content-Type", "TEXT/PLAIN").actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type 'text /plain'")
            .method("POST")
            .header("Content-Type", "text /plain")
            .preflight(204, &acah("content-type"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type text/plain with '\"' param")
            .method("POST")
            .header("Content-Type", "text/plain; x=\"y\"")
            .preflight(204, &acah("content-type"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type 'text/plain ;x=y'")
            .method("POST")
            .header("Content-Type", "text/plain ;x=y")
            .preflight(204, &acah("content-type"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Content-Type ad-auction signals")
            .method("POST")
            .header("Content-Type", "message/ad-auction-trusted-signals-request")
            .preflight(204, &acah("content-type"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(s("Range bytes=0-").header("Range", "bytes=0-").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]));
    v.push(s("Range bytes=-5").header("Range", "bytes=-5").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]));
    v.push(
        s("Range bytes=0-1,2-3")
            .header("Range", "bytes=0-1,2-3")
            .preflight(204, &acah("range"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range bytes=5-2").header("Range", "bytes=5-2").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range BYTES=1-2").header("Range", "BYTES=1-2").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range Bytes=0-1").header("Range", "Bytes=0-1").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range bytes=00-01")
            .header("Range", "bytes=00-01")
            .preflight(204, &acah("range"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range bytes=1-1").header("Range", "bytes=1-1").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range 20-digit start")
            .header("Range", "bytes=99999999999999999999-")
            .preflight(204, &acah("range"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Range bytes=+1-2").header("Range", "bytes=+1-2").preflight(204, &acah("range")).actual(200, &[(ACAO, "*")]),
    );
    // Positions at the 32-bit and 64-bit edges (Chromium 156 refuses exactly i64::MAX).
    for value in [
        "bytes=1-+2",
        "bytes=4294967296-",
        "bytes=9223372036854775806-",
        "bytes=9223372036854775807-",
        "bytes=0-9223372036854775806",
        "bytes=0-9223372036854775807",
        "bytes=0-9223372036854775808",
    ] {
        v.push(
            s(&format!("Range {value}"))
                .header("Range", value)
                .preflight(204, &acah("range"))
                .actual(200, &[(ACAO, "*")]),
        );
    }
    v.push(s("Accept-Language en-US,en;q=0.9").header("Accept-Language", "en-US,en;q=0.9").actual(200, &[(ACAO, "*")]));
    v.push(s("Content-Language de/DE, no ACAH").header("Content-Language", "de/DE").preflight(204, &[(ACAO, "*")]));
    v.push(s("DPR 2.5 (client hint)").header("DPR", "2.5").actual(200, &[(ACAO, "*")]));
    let kb = |prefix: &str| format!("{prefix}{}", "1".repeat(128 - prefix.len()));
    v.push(
        s("safelisted values over 1024 bytes")
            .header("Accept", &kb("a/"))
            .header("Accept-Language", &kb("en"))
            .header("Content-Language", &kb("de"))
            .header("Content-Type", &kb("text/plain;x="))
            .header("DPR", &kb(""))
            .header("Device-Memory", &kb(""))
            .header("Downlink", &kb(""))
            .header("Width", &kb(""))
            .header("Viewport-Width", &kb(""))
            .method("POST")
            .preflight(204, &[(ACAO, "*"), (ACAH, "*")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("X-Custom, ACAH x-custom")
            .header("X-Custom", "1")
            .preflight(204, &acah("x-custom"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("X-Custom, ACAH X-CUSTOM")
            .header("X-Custom", "1")
            .preflight(204, &acah("X-CUSTOM"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(s("X-A + X-B, ACAH x-a").header("X-A", "1").header("X-B", "2").preflight(204, &acah("x-a")));
    // Several missing names: Chromium reports the first in Blink's HTTPHeaderMap (a hash map)
    // iteration order, which is neither sorted nor insertion order; the model reports the first
    // in sorted order (docs/chromium-rules.md §2.3, §3.4, and "Observed in Chromium 156").
    const HASH_ORDER: &str =
        "Chromium names the first missing header in Blink's hash-map order; the model names the first in sorted order";
    let no_acah = [(ACAO, "*")];
    v.push(s("X-A + X-B, no ACAH").header("X-A", "1").header("X-B", "2").preflight(204, &no_acah));
    v.push(s("X-B + X-A, no ACAH").header("X-B", "1").header("X-A", "2").preflight(204, &no_acah));
    v.push(
        s("X-Zeta + X-Alpha, no ACAH")
            .header("X-Zeta", "1")
            .header("X-Alpha", "2")
            .preflight(204, &no_acah)
            .known_divergence("message", HASH_ORDER),
    );
    v.push(
        s("X-Custom + Content-Type json, no ACAH")
            .method("POST")
            .header("X-Custom", "1")
            .header("Content-Type", "application/json")
            .preflight(204, &no_acah)
            .known_divergence("message", HASH_ORDER),
    );
    v.push(
        s("Authorization + X-Api-Key, no ACAH")
            .header("Authorization", "x")
            .header("X-Api-Key", "k")
            .preflight(204, &no_acah),
    );
    v.push(
        s("ACRH sorted")
            .method("POST")
            .header("X-Zeta", "1")
            .header("X-Alpha", "2")
            .header("Content-Type", "application/json")
            .preflight(204, &acah("*"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("X-A set twice")
            .header("X-A", "1")
            .header("x-a", "2")
            .preflight(204, &acah("x-a"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("X-HTTP-Method-Override: TRACE (forbidden)")
            .header("X-HTTP-Method-Override", "TRACE")
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("X-HTTP-Method-Override: PATCH")
            .header("X-HTTP-Method-Override", "PATCH")
            .preflight(204, &acah("x-http-method-override"))
            .actual(200, &[(ACAO, "*")]),
    );

    // --- Allow-Headers / Allow-Methods parsing, wildcards --------------------------------------
    let cred = |extra: &[(&'static str, &'static str)]| {
        let mut h = vec![(ACAO, "{page}"), (ACAC, "true")];
        h.extend_from_slice(extra);
        h
    };
    v.push(
        s("Authorization, ACAH *")
            .header("Authorization", "Bearer x")
            .preflight(204, &acah("*"))
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(
        s("Authorization, ACAH *, include")
            .include()
            .header("Authorization", "Bearer x")
            .preflight(204, &cred(&[(ACAH, "*")]))
            .actual(200, &cred(&[])),
    );
    v.push(
        s("Authorization, ACAH authorization, include")
            .include()
            .header("Authorization", "Bearer x")
            .preflight(204, &cred(&[(ACAH, "authorization")]))
            .actual(200, &cred(&[])),
    );
    v.push(s("X-Custom, ACAH *").header("X-Custom", "1").preflight(204, &acah("*")).actual(200, &[(ACAO, "*")]));
    v.push(
        s("X-Custom, ACAH *, include")
            .include()
            .header("X-Custom", "1")
            .preflight(204, &cred(&[(ACAH, "*")]))
            .actual(200, &cred(&[])),
    );
    v.push(s("ACAH invalid token").header("X-Custom", "1").preflight(204, &acah("x-custom; y")));
    v.push(
        s("ACAH empty items").header("X-Custom", "1").preflight(204, &acah(",x-custom,,")).actual(200, &[(ACAO, "*")]),
    );
    v.push(s("ACAM invalid token").method("PUT").preflight(204, &[(ACAO, "*"), (ACAM, "PUT, GET;")]));
    v.push(
        s("ACAM empty items")
            .method("PUT")
            .preflight(204, &[(ACAO, "*"), (ACAM, ",PUT,,")])
            .actual(200, &[(ACAO, "*")]),
    );
    v.push(s("ACAM quoted").method("PUT").preflight(204, &[(ACAO, "*"), (ACAM, "\"PUT\"")]));
    v.push(
        s("ACAM and ACAH both invalid")
            .method("PUT")
            .header("X-Custom", "1")
            .preflight(204, &[(ACAO, "*"), (ACAM, "P(UT"), (ACAH, "x[y")]),
    );

    // --- preflight status and access check -----------------------------------------------------
    let custom = |x: Scenario| x.header("X-Custom", "1");
    v.push(custom(s("preflight 404 with ACAO")).preflight(404, &acah("x-custom")));
    v.push(custom(s("preflight 404 without ACAO")).preflight(404, &[]));
    v.push(custom(s("preflight 500 with ACAO")).preflight(500, &acah("x-custom")));
    v.push(
        custom(s("preflight 301 redirect"))
            .preflight(301, &[(ACAO, "*"), (ACAH, "x-custom"), (LOCATION, "{api}{s}/b")]),
    );
    v.push(custom(s("preflight 200 without ACAO")).preflight(200, &[(ACAH, "x-custom")]));
    v.push(custom(s("preflight ok, actual without ACAO")).preflight(204, &acah("x-custom")).actual(200, &[]));
    v.push(custom(s("preflight ACAO *, include")).include().preflight(204, &acah("x-custom")));
    v.push(
        custom(s("preflight exact, include, no ACAC"))
            .include()
            .preflight(204, &[(ACAO, "{page}"), (ACAH, "x-custom")]),
    );
    v.push(
        custom(s("preflight ok, include, actual no ACAC"))
            .include()
            .preflight(204, &cred(&[(ACAH, "x-custom")]))
            .actual(200, &[(ACAO, "{page}")]),
    );
    v.push(
        custom(s("preflight ok, include, all ok"))
            .include()
            .method("PUT")
            .preflight(200, &cred(&[(ACAH, "x-custom"), (ACAM, "PUT")]))
            .actual(200, &cred(&[])),
    );

    // --- exposed headers -----------------------------------------------------------------------
    let extra = [("X-Foo", "1"), ("X-Bar", "2"), ("X-Baz", "3"), ("Set-Cookie", "a=b")];
    let with = |aceh: &[(&'static str, &'static str)], acao: &[(&'static str, &'static str)]| {
        let mut h = acao.to_vec();
        h.extend_from_slice(&extra);
        h.extend_from_slice(aceh);
        h
    };
    v.push(s("ACEH list").actual(200, &with(&[(ACEH, "X-Foo, x-bar")], &[(ACAO, "*")])));
    v.push(s("ACEH *").actual(200, &with(&[(ACEH, "*")], &[(ACAO, "*")])));
    v.push(s("ACEH *, include").include().actual(200, &with(&[(ACEH, "*")], &cred(&[]))));
    v.push(s("ACEH '*, X-Foo', include").include().actual(200, &with(&[(ACEH, "*, X-Foo")], &cred(&[]))));
    v.push(s("ACEH with invalid byte").actual(200, &with(&[(ACEH, "X-Foo; X-Bar")], &[(ACAO, "*")])));
    v.push(s("ACEH on two lines").actual(200, &with(&[(ACEH, "X-Foo"), (ACEH, "X-Baz")], &[(ACAO, "*")])));
    v.push(s("ACEH set-cookie").actual(200, &with(&[(ACEH, "set-cookie, x-foo")], &[(ACAO, "*")])));
    v.push(s("ACEH empty items").actual(200, &with(&[(ACEH, ",,x-foo,")], &[(ACAO, "*")])));
    v.push(s("no ACEH, safelisted names").actual(
        200,
        &[
            (ACAO, "*"),
            ("Cache-Control", "no-cache"),
            ("Content-Language", "en"),
            ("Content-Type", "text/plain"),
            ("Expires", "0"),
            ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ("Pragma", "no-cache"),
            ("X-Foo", "1"),
        ],
    ));

    // --- redirects of the actual request -------------------------------------------------------
    let to = |loc: &'static str| [(ACAO, "{page}"), (LOCATION, loc)];
    v.push(s("same-origin hop, both ACAO").actual(302, &to("{api}{s}/b")).route(
        Host::Api,
        "b",
        false,
        200,
        &[(ACAO, "{page}")],
    ));
    v.push(s("same-origin hop, 302 without ACAO").actual(302, &[(LOCATION, "{api}{s}/b")]).route(
        Host::Api,
        "b",
        false,
        200,
        &[(ACAO, "{page}")],
    ));
    v.push(s("same-origin hop, target without ACAO").actual(302, &to("{api}{s}/b")).route(
        Host::Api,
        "b",
        false,
        200,
        &[],
    ));
    v.push(s("cross-origin hop, ACAO *").actual(302, &to("{other}{s}/b")).route(
        Host::Other,
        "b",
        false,
        200,
        &[(ACAO, "*")],
    ));
    v.push(s("cross-origin hop, ACAO exact").actual(302, &to("{other}{s}/b")).route(
        Host::Other,
        "b",
        false,
        200,
        &[(ACAO, "{page}")],
    ));
    v.push(s("cross-origin hop, ACAO null").actual(302, &to("{other}{s}/b")).route(
        Host::Other,
        "b",
        false,
        200,
        &[(ACAO, "null")],
    ));
    v.push(
        s("cross-origin hop, include, ACAO null + ACAC")
            .include()
            .actual(302, &cred(&[(LOCATION, "{other}{s}/b")]))
            .route(Host::Other, "b", false, 200, &[(ACAO, "null"), (ACAC, "true")]),
    );
    v.push(s("cross-origin hop, include, ACAO *").include().actual(302, &cred(&[(LOCATION, "{other}{s}/b")])).route(
        Host::Other,
        "b",
        false,
        200,
        &[(ACAO, "*")],
    ));
    v.push(s("hop back to the page's origin").actual(302, &to("{page}{s}/b")).route(
        Host::Page,
        "b",
        false,
        200,
        &[(ACAO, "{page}")],
    ));
    v.push(
        s("two hops, api -> other -> api")
            .actual(302, &to("{other}{s}/b"))
            .route(Host::Other, "b", false, 307, &[(ACAO, "null"), (LOCATION, "{api}{s}/c")])
            .route(Host::Api, "c", false, 200, &[(ACAO, "{page}")]),
    );
    v.push(
        s("303 POST json -> GET")
            .method("POST")
            .header("Content-Type", "application/json")
            .preflight(204, &acah("content-type"))
            .actual(303, &[(ACAO, "*"), (LOCATION, "{api}{s}/b")])
            .route(Host::Api, "b", false, 200, &[(ACAO, "*")]),
    );
    v.push(s("301 POST -> GET").method("POST").actual(301, &[(ACAO, "*"), (LOCATION, "{api}{s}/b")]).route(
        Host::Api,
        "b",
        false,
        200,
        &[(ACAO, "*")],
    ));
    v.push(
        s("307 PUT cross-origin, re-preflight")
            .method("PUT")
            .preflight(204, &put_ok)
            .actual(307, &[(ACAO, "*"), (LOCATION, "{other}{s}/b")])
            .route(Host::Other, "b", true, 204, &put_ok)
            .route(Host::Other, "b", false, 200, &[(ACAO, "*")]),
    );
    v.push(
        s("307 PUT cross-origin, 2nd preflight no ACAO")
            .method("PUT")
            .preflight(204, &put_ok)
            .actual(307, &[(ACAO, "*"), (LOCATION, "{other}{s}/b")])
            .route(Host::Other, "b", true, 204, &[(ACAM, "PUT")]),
    );
    v.push(s("redirect manual, 302 with ACAO").redirect("manual").actual(302, &to("{api}{s}/b")));
    v.push(s("redirect manual, 302 without ACAO").redirect("manual").actual(302, &[(LOCATION, "{api}{s}/b")]));
    v.push(s("redirect error").redirect("error").actual(302, &to("{api}{s}/b")).route(
        Host::Api,
        "b",
        false,
        200,
        &[(ACAO, "{page}")],
    ));

    // --- max-age -------------------------------------------------------------------------------
    for age in ["86400", "-1", "abc", "+60"] {
        v.push(
            custom(s(&format!("max-age {age}")))
                .preflight(204, &[(ACAO, "*"), (ACAH, "x-custom"), (MAX_AGE, age)])
                .actual(200, &[(ACAO, "*")]),
        );
    }

    // --- where the engines word things apart (appended, so earlier numbers stay) ---------------
    // WebKit names a header it knows in its own spelling, and any other as the script wrote it;
    // Chromium and Firefox in lower case.
    let no_acah = [(ACAO, "*")];
    v.push(
        s("content-type json set in lower case, no ACAH")
            .method("POST")
            .header("content-type", "application/json")
            .preflight(204, &no_acah),
    );
    v.push(s("X-CUSTOM in upper case, no ACAH").header("X-CUSTOM", "1").preflight(204, &no_acah));
    // WebKit checks the preflight's status before Access-Control-Allow-Origin; Chromium and
    // Firefox the other way round.
    v.push(custom(s("preflight 403, ACAO other origin")).preflight(403, &[(ACAO, "{other}"), (ACAH, "x-custom")]));
    // WebKit reads `bytes=` in any case and a `+` before a number: safelisted there only.
    v.push(
        s("Range bytes=+0-, preflight refused")
            .header("Range", "bytes=+0-")
            .preflight(403, &[])
            .actual(200, &[(ACAO, "*")]),
    );
    v
}
