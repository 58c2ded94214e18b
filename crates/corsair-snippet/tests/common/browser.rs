//! Chromium as the judge of a running snippet: pages on an allowed and a refused loopback origin
//! call the server with `fetch()`, and each outcome (resolved, or blocked with which console
//! message) must be what corsair's browser model predicts for the same call over the same
//! socket. The matrix proves the snippet sends what `Policy::decide` sends; this proves a real
//! browser reads those answers as the model does.

use corsair_core::browser::Intent;
use corsair_core::{Origin, Policy};
use corsair_probe::{Probe, ProbeOptions};
use corsair_testkit::chromium::Chromium;
use corsair_testkit::{page_server, TestServer};

/// The browser-test policy: only `page` may call, with the methods and headers of the matrix's
/// policy, credentials and an exposed header.
pub fn policy_for(page: &str) -> Policy {
    Policy::builder()
        .allow_origins([page])
        .allow_methods(["GET", "PUT", "DELETE"])
        .allow_headers(["content-type", "x-api-key"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .build()
        .expect("the browser-test policy is valid")
}

/// Chromium, and the two page servers (allowed on 127.0.0.1, refused on 127.0.0.3); `None`
/// (after a SKIPPED line, or a failure under CI=true) without Chromium.
pub async fn pages() -> Option<(Chromium, TestServer, TestServer)> {
    let chromium = Chromium::for_tests()?;
    Some((chromium, page_server(1).await, page_server(3).await))
}

/// The console message the model predicts for a call from `page`, asked over the network.
async fn predicted(url: &str, page: &str, method: &str, headers: &[(&str, &str)]) -> Option<String> {
    let mut intent = Intent::new(url.parse().unwrap(), Origin::parse(page).unwrap()).method(method);
    for (n, v) in headers {
        intent = intent.header(n, v);
    }
    Probe::new(ProbeOptions::default()).unwrap().run(intent).await.verdict.console_message()
}

/// A call: path, method, request headers, and whether it passes from the allowed page.
type Call<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], bool);

/// Runs the calls in Chromium from both pages against `http://127.0.0.1:port` and panics on
/// any disagreement with the model; returns how many calls agreed.
pub async fn judge(stack: &str, chromium: &Chromium, allowed: &TestServer, refused: &TestServer, port: u16) -> usize {
    let api = format!("http://127.0.0.1:{port}");
    let json = [("Content-Type", "application/json")];
    let key = [("X-Api-Key", "k")];
    let evil = [("X-Evil", "1")];
    let calls: [Call; 6] = [
        ("/", "GET", &[], true),
        ("/", "PUT", &json, true),
        ("/", "DELETE", &key, true),
        ("/", "PATCH", &[], false),
        ("/", "GET", &evil, false),
        ("/error", "GET", &[], true),
    ];
    let browser = chromium.launch().await.expect("Chromium starts");
    let tab = browser.new_page().await.expect("a tab");
    let mut agreed = 0;
    let mut failures = Vec::new();
    for page in [allowed, refused] {
        let origin = page.origin("http");
        let from_allowed = std::ptr::eq(page, allowed);
        tab.navigate(&format!("{origin}/page")).await.expect("the page loads");
        tab.take_console();
        for (path, method, headers, passes_if_allowed) in calls {
            let url = format!("{api}{path}");
            let got = tab.fetch(&url, method, headers).await;
            let want = predicted(&url, &origin, method, headers).await;
            let expect_pass = from_allowed && passes_if_allowed;
            let line = format!("{stack}: {method} {path} {headers:?} from {origin}");
            if got.ok != want.is_none() || got.console_message() != want || got.ok != expect_pass {
                eprintln!("  DISAGREE  {line}: chromium {:?} / {:?}, model {want:?}", got.status, got.console);
                failures.push(line);
            } else {
                eprintln!("  agree     {line}: {}", got.status.map_or("blocked".to_owned(), |s| s.to_string()));
                agreed += 1;
            }
        }
    }
    browser.close().await;
    eprintln!("CHROMIUM {stack}: {agreed}/{} calls as the browser model predicts", 2 * calls.len());
    assert!(failures.is_empty(), "Chromium and the model disagree on the {stack} snippet:\n{}", failures.join("\n"));
    agreed
}
