//! The real-browser differential suite (issue #3).
//!
//! Every scenario runs twice against the same scripted loopback servers: once as a `fetch()` in
//! headless Chromium (a page on `http://127.0.0.1:P` calls `http://127.0.0.2:Q`), once through
//! `corsair check ... --format json`. The two must agree on
//!
//! 1. the verdict: the promise resolved (and the response type) or rejected;
//! 2. whether a preflight was sent (how many, after redirects);
//! 3. each preflight's `Access-Control-Request-Method` and `-Headers`: for Chromium as the test
//!    server recorded them, for corsair as its JSON says it sent them;
//! 4. the console message, byte for byte (for blocked fetches);
//! 5. the response header names script can read (for allowed fetches);
//!
//! and Chromium's console line, read back by the parser `corsair explain` uses, must name the
//! failing URL, the URL asked for, the page's origin and the error kind corsair's model reports
//! (`DIFFERENTIAL_MESSAGES=path` writes those lines as a corpus file for `corsair-core`'s
//! `tests/console/`).
//!
//! The browser is the judge: a disagreement is a bug in corsair's model (or in this harness),
//! never a reason to adjust a scenario. It prints a table of every scenario and fails listing
//! every disagreement.
//!
//! `firefox_and_corsair_agree` runs the same scenarios in headless Firefox ESR (WebDriver BiDi)
//! against `corsair check --browser firefox`, and `webkit_and_corsair_agree` in WebKitGTK
//! (WebKitWebDriver under Xvfb) against `--browser webkit`, comparing the same aspects with the
//! model's console lines for that engine; each checks that the real engine differs from the
//! Chromium model exactly where `FIREFOX_DIVERGENCES` / `WEBKIT_DIVERGENCES` say
//! (`DIFFERENTIAL_FIREFOX_REPORT=path`, `DIFFERENTIAL_WEBKIT_REPORT=path` write the reports).
//!
//! Run: `cargo test -p corsair --test differential -- --nocapture`. With `DIFFERENTIAL_REPORT=path`
//! the table is also written there as Markdown; with `DIFFERENTIAL_VERBOSE=1` every aspect of
//! every scenario is printed, both sides. Without Chromium the test is SKIPPED (loudly),
//! except on CI (`CI=true`), where it fails.

#[path = "differential/scenarios.rs"]
mod scenarios;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use corsair_testkit::chromium::{Chromium, ConsoleEntry, Page};
use corsair_testkit::firefox::Firefox;
use corsair_testkit::webkit::WebKit;
use corsair_testkit::{loopback, Recorded, Reply, Script, TestServer};
use serde_json::{json, Value};

use scenarios::{Host, Scenario};

/// The three servers' origins, known once they listen.
#[derive(Debug)]
struct Origins {
    page: String,
    api: String,
    other: String,
    page_host: String,
}

/// Every request the three servers received, in arrival order.
type Log = Arc<Mutex<Vec<Recorded>>>;

/// The three engines' runs take turns: each starts a browser and drives 150-odd scenarios, and
/// three at once on a 2-core machine starve each other's start-up past its timeout.
static ONE_ENGINE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn prefix(index: usize) -> String {
    format!("/s{index:03}")
}

/// `/s007/a?x` to `(7, "a")`.
fn parse_path(path: &str) -> Option<(usize, &str)> {
    let path = path.split('?').next()?;
    let rest = path.strip_prefix("/s")?;
    let (number, tail) = rest.split_once('/')?;
    Some((number.parse().ok()?, tail))
}

/// Fills a header template; characters up to U+00FF become one byte each (Latin-1).
fn render(template: &str, origins: &Origins, index: usize) -> Vec<u8> {
    let text = template
        .replace("{page_host}", &origins.page_host)
        .replace("{page}", &origins.page)
        .replace("{api}", &origins.api)
        .replace("{other}", &origins.other)
        .replace("{s}", &prefix(index));
    let mut bytes = Vec::new();
    for c in text.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => bytes.push(b),
            Err(_) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    bytes
}

const PAGE: &str = "<!doctype html><meta charset=utf-8><title>corsair differential</title><p>page";

fn script(host: Host, all: Arc<Vec<Scenario>>, origins: Arc<OnceLock<Origins>>, log: Log) -> Script {
    Arc::new(move |request: &Recorded| {
        if let Ok(mut l) = log.lock() {
            l.push(request.clone());
        }
        if host == Host::Page && request.path == "/page" {
            return Reply::status(200).header("Content-Type", "text/html; charset=utf-8").body(PAGE);
        }
        let (Some((index, path)), Some(origins)) = (parse_path(&request.path), origins.get()) else {
            return Reply::status(404);
        };
        let route = all.get(index).and_then(|s| s.answer(host, path, request.method == "OPTIONS"));
        match route {
            Some(route) => route
                .headers
                .iter()
                .fold(Reply::status(route.status), |reply, (n, v)| reply.header(n, render(v, origins, index))),
            None => Reply::status(404).header("X-Unscripted", "1"),
        }
    })
}

/// One side's observations of one scenario, reduced to comparable text.
#[derive(Clone, Debug, Default)]
struct Observed {
    /// `allowed (cors)`, `allowed (opaqueredirect)` or `blocked`.
    verdict: String,
    allowed: bool,
    /// `(ACRM, ACRH)` of each preflight, in order.
    preflights: Vec<(Option<String>, Option<String>)>,
    /// The console message (`None` when allowed, or blocked without one).
    message: Option<String>,
    /// Readable header names, sorted.
    readable: Vec<String>,
    /// Other console lines about the scenario (Chromium) or the error kind (corsair), for context.
    notes: Vec<String>,
    /// corsair only: the error kind, the URL whose response failed and the URL asked for.
    kind: Option<String>,
    failing_url: Option<String>,
    initial_url: Option<String>,
    /// corsair only: the model's console lines for the engine asked for (`engines.KEY.console`).
    engine_console: Vec<String>,
}

fn fetch_expression(url: &str, s: &Scenario) -> String {
    let headers: Vec<Value> = s.headers.iter().map(|(n, v)| json!([n, v])).collect();
    let init = json!({
        "method": s.method,
        "headers": headers,
        "credentials": s.credentials,
        "redirect": s.redirect,
        "mode": "cors",
    });
    format!(
        "(async () => {{
  try {{
    const r = await fetch({url}, {init});
    return {{ok: true, type: r.type, status: r.status, readable: [...r.headers.keys()], error: null}};
  }} catch (e) {{
    return {{ok: false, type: null, status: null, readable: [], error: String(e)}};
  }}
}})()",
        url = json!(url),
    )
}

fn about(entry: &ConsoleEntry, prefix: &str) -> bool {
    let needle = format!("{prefix}/");
    entry.text.contains(&needle) || entry.url.as_deref().is_some_and(|u| u.contains(&needle))
}

async fn run_chromium(
    page: &Page,
    s: &Scenario,
    index: usize,
    origins: &Origins,
    log: &Log,
) -> Result<Observed, String> {
    let prefix = prefix(index);
    let url = format!("{}{prefix}/a", origins.api);
    let result = page.evaluate(&fetch_expression(&url, s)).await?;
    let allowed = result["ok"].as_bool() == Some(true);
    if allowed {
        tokio::time::sleep(Duration::from_millis(30)).await;
    } else {
        // The CORS line comes first, then "Failed to load resource: net::ERR_FAILED".
        page.wait_console(Duration::from_millis(1500), |e| {
            about(e, &prefix) && e.text.starts_with("Failed to load resource")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let entries: Vec<ConsoleEntry> = page.take_console().into_iter().filter(|e| about(e, &prefix)).collect();
    let mut o = Observed {
        allowed,
        verdict: if allowed {
            format!("allowed ({})", result["type"].as_str().unwrap_or("?"))
        } else {
            "blocked".to_owned()
        },
        ..Observed::default()
    };
    if allowed {
        let mut readable: Vec<String> =
            result["readable"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        readable.sort();
        o.readable = readable;
    }
    o.message = entries.iter().find(|e| e.text.starts_with("Access to fetch at")).map(|e| e.text.clone());
    o.notes = entries.iter().map(|e| format!("[{} {}] {}", e.source, e.level, e.text)).collect();
    if let Some(e) = result["error"].as_str() {
        o.notes.push(format!("rejected: {e}"));
    }
    o.preflights = browser_preflights(log, index);
    Ok(o)
}

async fn run_corsair(s: &Scenario, index: usize, origins: &Origins) -> Result<Observed, String> {
    run_corsair_as(s, index, origins, "chromium").await
}

/// `corsair check --browser BROWSER --format json` for the scenario.
async fn run_corsair_as(s: &Scenario, index: usize, origins: &Origins, browser: &str) -> Result<Observed, String> {
    let url = format!("{}{}/a", origins.api, prefix(index));
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_corsair"));
    command.args(["check", &url, "--origin", &origins.page, "--method", &s.method, "--browser", browser]);
    for (n, v) in &s.headers {
        command.arg("-H").arg(format!("{n}: {v}"));
    }
    command.args(["--credentials", s.credentials, "--redirect", s.redirect, "--format", "json"]);
    let out = command.output().await.map_err(|e| format!("cannot run corsair: {e}"))?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "corsair check exited with {:?}: {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("corsair check printed no JSON ({e})"))?;
    let allowed = v["verdict"] == "allowed";
    let header = |headers: &Value, name: &str| -> Option<String> {
        headers.as_array()?.iter().find_map(|pair| {
            let n = pair[0].as_str()?;
            n.eq_ignore_ascii_case(name).then(|| pair[1].as_str().unwrap_or_default().to_owned())
        })
    };
    let preflights = v["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["request"]["method"] == "OPTIONS")
        .map(|x| {
            let h = &x["request"]["headers"];
            (header(h, "access-control-request-method"), header(h, "access-control-request-headers"))
        })
        .collect::<Vec<_>>();
    // The JSON names the first preflight separately; it must be the first of `requests`.
    let first = v["preflight"]["request"]["headers"].clone();
    if !first.is_null() {
        let pair = (header(&first, "access-control-request-method"), header(&first, "access-control-request-headers"));
        if preflights.first() != Some(&pair) {
            return Err(format!(
                "corsair JSON: `preflight` {pair:?} is not the first OPTIONS of `requests` {preflights:?}"
            ));
        }
    }
    let mut readable: Vec<String> =
        v["readable_headers"].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_owned)).collect();
    readable.sort();
    let mut notes = Vec::new();
    if let Some(kind) = v["error"]["kind"].as_str() {
        notes.push(format!("error kind {kind}"));
    }
    let urls: Vec<&str> =
        v["requests"].as_array().into_iter().flatten().filter_map(|x| x["request"]["url"].as_str()).collect();
    Ok(Observed {
        allowed,
        verdict: if allowed {
            format!("allowed ({})", v["response_type"].as_str().unwrap_or("?"))
        } else {
            "blocked".to_owned()
        },
        preflights,
        message: v["browser_message"].as_str().map(str::to_owned),
        readable: if allowed { readable } else { Vec::new() },
        notes,
        kind: v["error"]["kind"].as_str().map(str::to_owned),
        failing_url: urls.last().map(|u| (*u).to_owned()),
        initial_url: urls.first().map(|u| (*u).to_owned()),
        engine_console: v["engines"][browser]["console"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect(),
    })
}

/// Chromium's console line read back by `corsair explain`'s parser must name what corsair's
/// model says happened: the URL whose response failed, the URL asked for, the page's origin and
/// the error kind.
fn round_trip(chromium_message: &str, k: &Observed, page: &str) -> Result<(), String> {
    let m = corsair_core::console::parse(chromium_message).map_err(|e| format!("not read: {e}"))?;
    let initial = k.initial_url.clone().filter(|i| Some(i) != k.failing_url.as_ref());
    let got = (
        m.error.as_ref().map(|e| e.chromium_name().to_owned()),
        m.url.clone(),
        m.initial_url.clone(),
        m.page_origin.clone(),
    );
    let expected = (k.kind.clone(), k.failing_url.clone(), initial, Some(page.to_owned()));
    if got == expected {
        Ok(())
    } else {
        Err(format!("read as {got:?}, expected {expected:?}"))
    }
}

const ASPECTS: [&str; 5] = ["verdict", "preflight", "ACRM/ACRH", "message", "readable"];

/// The five aspects as (Chromium, corsair) text pairs.
fn aspects(c: &Observed, k: &Observed) -> [(String, String); 5] {
    let count = |o: &Observed| match o.preflights.len() {
        0 => "no".to_owned(),
        1 => "yes".to_owned(),
        n => format!("yes ({n})"),
    };
    let acr = |o: &Observed| {
        if o.preflights.is_empty() {
            return "-".to_owned();
        }
        o.preflights
            .iter()
            .map(|(m, h)| format!("{} / {}", m.as_deref().unwrap_or("(none)"), h.as_deref().unwrap_or("(none)")))
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    // Chromium prints its CORS line; for failures that are not CORS errors corsair names the
    // console line it expects, and Chromium must have printed exactly that line.
    let chromium_message = match (&c.message, &k.message) {
        (Some(m), _) => m.clone(),
        (None, Some(m))
            if !m.starts_with("Access to fetch at") && c.notes.iter().any(|n| n.ends_with(&format!("] {m}"))) =>
        {
            m.clone()
        }
        _ => "(none)".to_owned(),
    };
    let readable = |o: &Observed| {
        if !(c.allowed && k.allowed) {
            "n/a".to_owned()
        } else if o.readable.is_empty() {
            "(none)".to_owned()
        } else {
            o.readable.join(",")
        }
    };
    [
        (c.verdict.clone(), k.verdict.clone()),
        (count(c), count(k)),
        (acr(c), acr(k)),
        (chromium_message, k.message.clone().unwrap_or_else(|| "(none)".to_owned())),
        (readable(c), readable(k)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_and_corsair_agree() {
    let Some(chromium) = Chromium::for_tests() else { return };
    let _turn = ONE_ENGINE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let version = chromium.version().expect("chromium --version");

    let servers = Servers::start().await;
    let (all, origins, log) = (&servers.all, servers.origins(), &servers.log);

    let browser = chromium.launch().await.expect("Chromium starts");
    let product = browser.product().await.expect("Browser.getVersion");
    println!("Chromium: {version} ({product}) at {}", chromium.path.display());
    println!("page {}  api {}  other {}", origins.page, origins.api, origins.other);
    let page = browser.new_page().await.expect("a tab");
    page.navigate(&format!("{}/page", origins.page)).await.expect("the page loads");
    page.take_console();

    let mut rows = Vec::new();
    for (index, s) in all.iter().enumerate() {
        let c = run_chromium(&page, s, index, origins, log)
            .await
            .unwrap_or_else(|e| panic!("#{index} {}: Chromium: {e}", s.name));
        let k = run_corsair(s, index, origins).await.unwrap_or_else(|e| panic!("#{index} {}: corsair: {e}", s.name));
        rows.push((index, s.name.clone(), c, k));
    }
    browser.close().await;
    let elapsed = started.elapsed();

    let mut table = String::new();
    let _ = writeln!(table, "| # | scenario | Chromium verdict | preflight | {} |", ASPECTS.join(" | "));
    let _ = writeln!(table, "|---|---|---|---|{}", "---|".repeat(ASPECTS.len()));
    let mut agree = [0usize; 5];
    let mut known = [0usize; 5];
    let mut disagreements = String::new();
    let mut known_notes = String::new();
    let verbose = std::env::var_os("DIFFERENTIAL_VERBOSE").is_some();
    for (index, name, c, k) in &rows {
        let pairs = aspects(c, k);
        let expected = all[*index].known;
        let mut marks = Vec::new();
        let mut details = String::new();
        for (i, (a, b)) in pairs.iter().enumerate() {
            let is_known = expected.is_some_and(|(aspect, _)| aspect == ASPECTS[i]);
            match (a == b, is_known) {
                (true, false) => {
                    agree[i] += 1;
                    marks.push("=");
                }
                (false, true) => {
                    known[i] += 1;
                    marks.push("known");
                    let why = expected.map(|(_, why)| why).unwrap_or_default();
                    let _ = writeln!(
                        known_notes,
                        "\n#{index:03} {name}: {} (known: {why})\n  Chromium: {a}\n  corsair:  {b}",
                        ASPECTS[i]
                    );
                }
                (false, false) => {
                    marks.push("**DIFF**");
                    let _ = writeln!(
                        details,
                        "\n#{index:03} {name}: {} differs\n  Chromium: {a}\n  corsair:  {b}",
                        ASPECTS[i]
                    );
                }
                (true, true) => {
                    agree[i] += 1;
                    marks.push("**STALE**");
                    let _ = writeln!(
                        details,
                        "\n#{index:03} {name}: {} now agrees but is marked as a known divergence; remove the mark",
                        ASPECTS[i]
                    );
                }
            }
        }
        if !details.is_empty() {
            disagreements.push_str(&details);
            for n in &c.notes {
                let _ = writeln!(disagreements, "  Chromium console: {n}");
            }
            for n in &k.notes {
                let _ = writeln!(disagreements, "  corsair: {n}");
            }
        }
        if verbose {
            println!("#{index:03} {name}");
            for (i, (a, b)) in pairs.iter().enumerate() {
                println!("  {:<10} Chromium: {a}\n  {:<10} corsair:  {b}", ASPECTS[i], "");
            }
        }
        let _ = writeln!(table, "| {index:03} | {name} | {} | {} | {} |", c.verdict, pairs[1].0, marks.join(" | "));
    }
    // Every CORS line Chromium printed, read back by the parser `corsair explain` uses.
    let mut read_back = 0;
    let mut recorded = String::new();
    let cors_lines = rows.iter().filter_map(|(i, name, c, k)| {
        c.message.as_deref().filter(|m| m.starts_with("Access to ")).map(|m| (i, name, m, k))
    });
    for (index, name, text, k) in cors_lines {
        match round_trip(text, k, &origins.page) {
            Ok(()) => read_back += 1,
            Err(e) => {
                let _ = writeln!(disagreements, "\n#{index:03} {name}: console line not read back: {e}\n  {text}");
            }
        }
        let _ = writeln!(
            recorded,
            "Chromium {}\t{}\t{}\t{}\t{text}",
            product.split('/').nth(1).unwrap_or(&product),
            k.kind.as_deref().unwrap_or("?"),
            k.failing_url.as_deref().unwrap_or("-"),
            origins.page,
        );
    }
    if let Ok(path) = std::env::var("DIFFERENTIAL_MESSAGES") {
        let head = "# Chromium's console lines from the differential suite (DIFFERENTIAL_MESSAGES=path), with\n# what corsair's model says: kind, failing URL, page origin. Ports are the run's.\n";
        std::fs::write(&path, format!("{head}{recorded}")).expect("write the recorded messages");
    }
    let total = rows.len();
    let mut summary = format!("{total} scenarios, {version} ({product}), {:.1}s\n", elapsed.as_secs_f64());
    for (i, a) in ASPECTS.iter().enumerate() {
        let _ = write!(summary, "  {a:<10} {}/{total} agree", agree[i]);
        let _ = match known[i] {
            0 => writeln!(summary),
            n => writeln!(summary, ", {n} known divergence{}", if n == 1 { "" } else { "s" }),
        };
    }
    let _ = writeln!(summary, "  console lines read back by corsair explain: {read_back}/{}", recorded.lines().count());
    println!("\n{table}\n{summary}");
    if !known_notes.is_empty() {
        println!("Known divergences (investigated; see docs/chromium-rules.md):{known_notes}");
    }
    if let Ok(path) = std::env::var("DIFFERENTIAL_REPORT") {
        std::fs::write(&path, format!("{summary}\n{table}{known_notes}{disagreements}")).expect("write the report");
    }
    assert!(total >= 80, "the suite needs at least 80 scenarios, has {total}");
    assert!(disagreements.is_empty(), "Chromium and corsair disagree:{disagreements}");
}

/// The three scripted servers every run uses, with the scenarios they answer and what they saw.
struct Servers {
    all: Arc<Vec<Scenario>>,
    origins: Arc<OnceLock<Origins>>,
    log: Log,
    _running: [TestServer; 3],
}

impl Servers {
    async fn start() -> Servers {
        let all = Arc::new(scenarios::all());
        let origins = Arc::new(OnceLock::new());
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let server =
            |host: Host, n: u8| TestServer::start(loopback(n), script(host, all.clone(), origins.clone(), log.clone()));
        let running = [server(Host::Page, 1).await, server(Host::Api, 2).await, server(Host::Other, 3).await];
        let [page, api, other] = &running;
        let set = Origins {
            page: page.origin("http"),
            api: api.origin("http"),
            other: other.origin("http"),
            page_host: page.addr.to_string(),
        };
        origins.set(set).expect("origins set once");
        Servers { all, origins, log, _running: running }
    }

    fn origins(&self) -> &Origins {
        self.origins.get().expect("origins")
    }
}

/// An engine other than Chromium, run against `corsair check --browser KEY`: the same aspects,
/// with the model's console lines for that engine (`engines.KEY.console`) as corsair's message.
struct EngineRun {
    /// `Firefox`, `WebKit`.
    name: &'static str,
    /// `--browser` and the JSON key.
    key: &'static str,
    /// Where real browser and model differ, investigated: (scenario, aspect, why). Reported as
    /// "known"; the run fails when one starts to agree, so the table cannot go stale.
    known: &'static [(&'static str, &'static str, &'static str)],
    /// Where the real browser differs from the Chromium model (verdict, preflight, request
    /// headers, readable headers), each with its reason; the run fails unless these are exactly
    /// the differences.
    divergences: &'static [(&'static str, &'static str, &'static str)],
    /// Reads one observed console text back with `corsair explain`'s parser: how many messages.
    read_back: fn(&str) -> Result<usize, String>,
}

/// One scenario of an engine run: the browser's observations, the model's for that engine, the
/// model's for Chromium.
type EngineRow = (usize, String, Observed, Observed, Observed);

/// The model's answers for `engine` and for Chromium, as a row beside the browser's.
async fn engine_row(engine: &EngineRun, s: &Scenario, index: usize, origins: &Origins, seen: Observed) -> EngineRow {
    let k = run_corsair_as(s, index, origins, engine.key)
        .await
        .unwrap_or_else(|e| panic!("#{index} {}: corsair: {e}", s.name));
    let c = run_corsair_as(s, index, origins, "chromium")
        .await
        .unwrap_or_else(|e| panic!("#{index} {}: corsair: {e}", s.name));
    (index, s.name.clone(), seen, k, c)
}

/// Compares an engine's rows and fails listing every disagreement.
fn compare_engine(engine: &EngineRun, rows: &[EngineRow], version: &str, started: Instant) {
    let name_of = engine.name;
    let mut agree = [0usize; 5];
    let mut known = [0usize; 5];
    let mut disagreements = String::new();
    let mut known_notes = String::new();
    let verbose = std::env::var_os("DIFFERENTIAL_VERBOSE").is_some();
    for (index, name, f, k, _) in rows {
        // The same comparison as Chromium's, with the model's lines for this engine.
        let mut pairs = aspects(f, k);
        pairs[3] = (
            f.message.clone().unwrap_or_else(|| "(none)".to_owned()),
            if k.engine_console.is_empty() { "(none)".to_owned() } else { k.engine_console.join("\n") },
        );
        let mut details = String::new();
        for (i, (a, b)) in pairs.iter().enumerate() {
            let mark = engine.known.iter().find(|(n, aspect, _)| n == name && *aspect == ASPECTS[i]);
            match (a == b, mark) {
                (true, None) => agree[i] += 1,
                (false, Some((_, _, why))) => {
                    known[i] += 1;
                    let _ = writeln!(
                        known_notes,
                        "\n#{index:03} {name}: {} (known: {why})\n  {name_of}: {a}\n  corsair: {b}",
                        ASPECTS[i]
                    );
                }
                (false, None) => {
                    let _ = writeln!(
                        details,
                        "\n#{index:03} {name}: {} differs\n  {name_of}: {a}\n  corsair: {b}",
                        ASPECTS[i]
                    );
                }
                (true, Some(_)) => {
                    let _ = writeln!(
                        details,
                        "\n#{index:03} {name}: {} now agrees but is recorded as a known {name_of} divergence; remove it",
                        ASPECTS[i]
                    );
                }
            }
        }
        if !details.is_empty() {
            disagreements.push_str(&details);
            for n in &f.notes {
                let _ = writeln!(disagreements, "  {name_of}: {n}");
            }
            for n in &k.notes {
                let _ = writeln!(disagreements, "  corsair: {n}");
            }
        }
        if verbose {
            println!("#{index:03} {name}");
            for (i, (a, b)) in pairs.iter().enumerate() {
                println!("  {:<10} {name_of}: {a}\n  {:<10} corsair: {b}", ASPECTS[i], "");
            }
        }
    }
    // The engines differ exactly where recorded.
    let mut engine_diffs = 0;
    for (index, name, f, _, c) in rows {
        let pairs = aspects(f, c);
        for i in [0, 1, 2, 4] {
            let recorded = engine.divergences.iter().find(|(n, a, _)| n == name && *a == ASPECTS[i]);
            let (a, b) = &pairs[i];
            match (a != b, recorded) {
                (true, Some(_)) => engine_diffs += 1,
                (false, None) => {}
                (true, None) => {
                    let _ = writeln!(disagreements, "\n#{index:03} {name}: {} differs between {name_of} and the Chromium model, not recorded as an engine divergence\n  {name_of}: {a}\n  Chromium: {b}", ASPECTS[i]);
                }
                (false, Some(_)) => {
                    let _ = writeln!(disagreements, "\n#{index:03} {name}: {} is recorded as an engine divergence but {name_of} now agrees with the Chromium model; remove it", ASPECTS[i]);
                }
            }
        }
    }
    // Every console text the browser printed, read back by the parser `corsair explain` uses.
    let mut read_back = (0, 0);
    for (index, name, f, _, _) in rows {
        let Some(message) = &f.message else { continue };
        match (engine.read_back)(message) {
            Ok(n) => {
                read_back.0 += n;
                read_back.1 += n;
            }
            Err(e) => {
                read_back.1 += 1;
                let _ = writeln!(
                    disagreements,
                    "\n#{index:03} {name}: {name_of} console not read back ({e}):\n  {message}"
                );
            }
        }
    }
    let total = rows.len();
    let blocked = rows.iter().filter(|(_, _, f, _, _)| !f.allowed).count();
    let mut summary = format!(
        "{total} scenarios ({blocked} blocked in {name_of}), {version}, {:.1}s\n",
        started.elapsed().as_secs_f64()
    );
    for (i, a) in ASPECTS.iter().enumerate() {
        let _ = write!(summary, "  {a:<10} {}/{total} agree", agree[i]);
        let _ = match known[i] {
            0 => writeln!(summary),
            n => writeln!(summary, ", {n} known divergence{}", if n == 1 { "" } else { "s" }),
        };
    }
    let _ = writeln!(summary, "  {name_of} messages read back by corsair explain: {}/{}", read_back.0, read_back.1);
    let _ = writeln!(
        summary,
        "  engine divergences from the Chromium model (verdict, preflight, ACRM/ACRH, readable): {engine_diffs}, all recorded"
    );
    println!("\n{summary}");
    if !known_notes.is_empty() {
        println!("Known {name_of} divergences:{known_notes}");
    }
    let report = format!("DIFFERENTIAL_{}_REPORT", engine.key.to_ascii_uppercase());
    if let Ok(path) = std::env::var(&report) {
        std::fs::write(&path, format!("{summary}{known_notes}{disagreements}")).expect("write the report");
    }
    assert!(total >= 80, "the suite needs at least 80 scenarios, has {total}");
    assert!(disagreements.is_empty(), "{name_of} and corsair disagree:{disagreements}");
}

/// The preflights the servers saw for scenario `index` from a browser (not from corsair).
fn browser_preflights(log: &Log, index: usize) -> Vec<(Option<String>, Option<String>)> {
    let prefix = prefix(index);
    let seen = log.lock().map(|l| l.clone()).unwrap_or_default();
    seen.iter()
        .filter(|r| r.path.starts_with(&format!("{prefix}/")))
        .filter(|r| !r.header("user-agent").unwrap_or_default().starts_with("corsair/"))
        .filter(|r| r.method == "OPTIONS")
        .map(|r| {
            (
                r.header("access-control-request-method").map(str::to_owned),
                r.header("access-control-request-headers").map(str::to_owned),
            )
        })
        .collect()
}

/// What a page's `fetch()` came to in a browser other than Chromium, from the script's result
/// and the engine's console lines about it.
fn observed(result: &Value, lines: Vec<String>, preflights: Vec<(Option<String>, Option<String>)>) -> Observed {
    let allowed = result["ok"].as_bool() == Some(true);
    let mut readable: Vec<String> =
        result["readable"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    readable.sort();
    let mut notes: Vec<String> = lines.iter().map(|l| format!("[console] {l}")).collect();
    if let Some(e) = result["error"].as_str() {
        notes.push(format!("rejected: {e}"));
    }
    Observed {
        allowed,
        verdict: if allowed {
            format!("allowed ({})", result["type"].as_str().unwrap_or("?"))
        } else {
            "blocked".to_owned()
        },
        preflights,
        message: (!lines.is_empty()).then(|| lines.join("\n")),
        readable: if allowed { readable } else { Vec::new() },
        notes,
        ..Observed::default()
    }
}

/// Divergences between real Firefox ESR 153 and the model's Firefox words, investigated. Empty:
/// every one found is modelled.
const FIREFOX_KNOWN: &[(&str, &str, &str)] = &[];

/// Where real Firefox differs from the model's Chromium, each with its reason: the engine
/// divergences `Engine::Firefox` models.
const FIREFOX_DIVERGENCES: &[(&str, &str, &str)] = &[
    ("DPR 2.5 (client hint)", "verdict", HINTS),
    ("DPR 2.5 (client hint)", "preflight", HINTS),
    ("DPR 2.5 (client hint)", "ACRM/ACRH", HINTS),
    ("safelisted values over 1024 bytes", "ACRM/ACRH", "Firefox has no 1024-byte total for safelisted values (Chromium then lists accept, accept-language, content-language, content-type) and does not safelist the client hints"),
    ("X-A set twice", "ACRM/ACRH", "Firefox lists a name once per time the script set it (`x-a,x-a`); Chromium once"),
    ("Range bytes=9223372036854775807-", "preflight", RANGE),
    ("Range bytes=9223372036854775807-", "ACRM/ACRH", RANGE),
    ("Range bytes=0-9223372036854775807", "preflight", RANGE),
    ("Range bytes=0-9223372036854775807", "ACRM/ACRH", RANGE),
    ("Range bytes=0-9223372036854775808", "preflight", RANGE),
    ("Range bytes=0-9223372036854775808", "ACRM/ACRH", RANGE),
    ("303 POST json -> GET", "verdict", REDIRECT),
    ("303 POST json -> GET", "preflight", REDIRECT),
    ("303 POST json -> GET", "ACRM/ACRH", REDIRECT),
];
const HINTS: &str = "DPR, Device-Memory, Downlink, Width, Viewport-Width, RTT, ECT and Save-Data are safelisted by Chromium only: Firefox preflights them (here unanswered, so blocked)";
const RANGE: &str = "Firefox safelists a Range whose numbers overflow Chromium's int64 (it reads u64): no preflight";
const REDIRECT: &str = "Firefox keeps its force-preflight flag across redirects: after a 303 turned the preflighted POST into a plain GET it preflights the new URL (here unanswered, so blocked); Chromium recomputes and sends the GET";

const FIREFOX: EngineRun = EngineRun {
    name: "Firefox",
    key: "firefox",
    known: FIREFOX_KNOWN,
    divergences: FIREFOX_DIVERGENCES,
    // Each Firefox line is one message, naming Firefox and its reason.
    read_back: |message| {
        for line in message.lines() {
            match corsair_core::console::parse(line) {
                Ok(m) if m.browser == Some(corsair_core::console::Browser::Firefox) && m.firefox_reason.is_some() => {}
                other => return Err(format!("{line:?} read as {other:?}")),
            }
        }
        Ok(message.lines().count())
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_and_corsair_agree() {
    let Some(firefox) = Firefox::for_tests() else { return };
    let _turn = ONE_ENGINE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let version = firefox.version().expect("firefox --version");
    let servers = Servers::start().await;
    let origins = servers.origins();
    let browser = firefox.launch().await.expect("Firefox starts");
    let page = browser.new_page().await.expect("a tab");
    page.navigate(&format!("{}/page", origins.page)).await.expect("the page loads");
    page.take_log();

    let mut rows = Vec::new();
    for (index, s) in servers.all.iter().enumerate() {
        let prefix = prefix(index);
        let url = format!("{}{prefix}/a", origins.api);
        let result = page
            .evaluate(&fetch_expression(&url, s))
            .await
            .unwrap_or_else(|e| panic!("#{index} {}: Firefox: {e}", s.name));
        let allowed = result["ok"].as_bool() == Some(true);
        let lines = page.settle_cors_lines(&format!("{prefix}/"), allowed).await;
        let seen = observed(&result, lines, browser_preflights(&servers.log, index));
        rows.push(engine_row(&FIREFOX, s, index, origins, seen).await);
    }
    browser.close().await;
    compare_engine(&FIREFOX, &rows, &version, started);
}

/// Divergences between real WebKitGTK and the model's WebKit words, investigated.
const WEBKIT_KNOWN: &[(&str, &str, &str)] = &[];

/// Where real WebKit differs from the model's Chromium, each with its reason: the engine
/// divergences `Engine::WebKit` models.
const WEBKIT_DIVERGENCES: &[(&str, &str, &str)] = &[
    ("DPR 2.5 (client hint)", "verdict", WEBKIT_HINTS),
    ("DPR 2.5 (client hint)", "preflight", WEBKIT_HINTS),
    ("DPR 2.5 (client hint)", "ACRM/ACRH", WEBKIT_HINTS),
    ("safelisted values over 1024 bytes", "ACRM/ACRH", "WebKit has no 1024-byte total for safelisted values (Chromium then lists accept, accept-language, content-language, content-type) and does not safelist the client hints"),
    ("Range BYTES=1-2", "preflight", WEBKIT_RANGE_CASE),
    ("Range BYTES=1-2", "ACRM/ACRH", WEBKIT_RANGE_CASE),
    ("Range Bytes=0-1", "preflight", WEBKIT_RANGE_CASE),
    ("Range Bytes=0-1", "ACRM/ACRH", WEBKIT_RANGE_CASE),
    ("Range bytes=+1-2", "preflight", WEBKIT_RANGE_PLUS),
    ("Range bytes=+1-2", "ACRM/ACRH", WEBKIT_RANGE_PLUS),
    ("Range bytes=1-+2", "preflight", WEBKIT_RANGE_PLUS),
    ("Range bytes=1-+2", "ACRM/ACRH", WEBKIT_RANGE_PLUS),
    ("Range bytes=+0-, preflight refused", "verdict", WEBKIT_RANGE_PLUS),
    ("Range bytes=+0-, preflight refused", "preflight", WEBKIT_RANGE_PLUS),
    ("Range bytes=+0-, preflight refused", "ACRM/ACRH", WEBKIT_RANGE_PLUS),
    ("Range bytes=9223372036854775807-", "preflight", WEBKIT_RANGE_U64),
    ("Range bytes=9223372036854775807-", "ACRM/ACRH", WEBKIT_RANGE_U64),
    ("Range bytes=0-9223372036854775807", "preflight", WEBKIT_RANGE_U64),
    ("Range bytes=0-9223372036854775807", "ACRM/ACRH", WEBKIT_RANGE_U64),
    ("Range bytes=0-9223372036854775808", "preflight", WEBKIT_RANGE_U64),
    ("Range bytes=0-9223372036854775808", "ACRM/ACRH", WEBKIT_RANGE_U64),
    ("303 POST json -> GET", "verdict", WEBKIT_REDIRECT),
    ("303 POST json -> GET", "preflight", WEBKIT_REDIRECT),
    ("303 POST json -> GET", "ACRM/ACRH", WEBKIT_REDIRECT),
];
const WEBKIT_HINTS: &str = "DPR, Device-Memory, Downlink, Width, Viewport-Width, RTT, ECT and Save-Data are safelisted by Chromium only: WebKit preflights them (here unanswered, so blocked)";
const WEBKIT_RANGE_CASE: &str = "WebKit reads `bytes=` in any case: a safelisted Range, no preflight";
const WEBKIT_RANGE_PLUS: &str = "WebKit's integer parser takes a `+` before a number: a safelisted Range, no preflight (so a refused preflight does not block it)";
const WEBKIT_RANGE_U64: &str =
    "WebKit safelists a Range whose numbers overflow Chromium's int64 (it reads u64): no preflight";
const WEBKIT_REDIRECT: &str = "WebKit keeps Content-Type when a 303 makes the POST a GET, so the GET to the new URL is preflighted again with `content-type` (here unanswered, so blocked); Chromium drops it and sends the GET";

const WEBKIT: EngineRun = EngineRun {
    name: "WebKit",
    key: "webkit",
    known: WEBKIT_KNOWN,
    divergences: WEBKIT_DIVERGENCES,
    // WebKit's lines for one failure (the cause, then "Fetch API cannot load URL due to access
    // control checks.") are one message.
    read_back: |message| match corsair_core::console::parse(message) {
        Ok(m) if m.browser == Some(corsair_core::console::Browser::WebKit) && m.is_explained() => Ok(1),
        other => Err(format!("read as {other:?}")),
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webkit_and_corsair_agree() {
    let Some(webkit) = WebKit::for_tests() else { return };
    let _turn = ONE_ENGINE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let servers = Servers::start().await;
    let origins = servers.origins();
    let browser = webkit.launch().await.expect("WebKit starts");
    let version = format!("WebKitGTK {}", browser.version());
    browser.navigate(&format!("{}/page", origins.page)).await.expect("the page loads");

    let mut rows = Vec::new();
    for (index, s) in servers.all.iter().enumerate() {
        let url = format!("{}{}/a", origins.api, prefix(index));
        let (result, lines) = browser
            .evaluate_logged(&fetch_expression(&url, s))
            .await
            .unwrap_or_else(|e| panic!("#{index} {}: WebKit: {e}", s.name));
        let errors = lines.iter().filter(|l| l.level == "ERROR").map(|l| l.text.clone()).collect();
        let mut seen = observed(&result, errors, browser_preflights(&servers.log, index));
        seen.notes.extend(
            lines.iter().filter(|l| l.level != "ERROR").map(|l| format!("[{} {}] {}", l.source, l.level, l.text)),
        );
        rows.push(engine_row(&WEBKIT, s, index, origins, seen).await);
    }
    browser.close().await;
    compare_engine(&WEBKIT, &rows, &version, started);
}
