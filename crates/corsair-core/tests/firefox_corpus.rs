//! The model's Firefox text against Firefox ESR 153's own: every scenario `record-firefox.mjs`
//! ran in the real browser is run through the browser model with the same answers, and the
//! Firefox lines the model prints must equal the recorded ones byte for byte (the recorded
//! run's ports are reused, so nothing is masked). Each line must also read back, through the
//! parser `corsair explain` uses, as the reason it was printed for.

use corsair_core::browser::{Credentials, Fetch, Intent, Response, Step, Verdict};
use corsair_core::console::parse_all;
use corsair_core::Origin;

const RECORDED: &str = include_str!("console/firefox-153-recorded.txt");

/// The recorded lines of scenario `fNN`, in order.
fn recorded(scenario: &str) -> Vec<&str> {
    RECORDED
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(4))
        .filter(|text| text.contains(&format!("/{scenario}/")))
        .collect()
}

/// The recorded run's origins: (page, api, other, a port nothing listened on).
fn origins() -> (String, String, String, String) {
    let url_of =
        |s: &str| recorded(s)[0].split(" at ").nth(1).unwrap().split('/').take(3).collect::<Vec<_>>().join("/");
    let page = RECORDED
        .lines()
        .find_map(|l| l.split('\t').nth(1)?.strip_prefix("kAllowOriginMismatch=http://127.0.0.1:").map(str::to_owned))
        .map(|port| format!("http://127.0.0.1:{port}"))
        .expect("the page origin is in the corpus");
    (page, url_of("f00"), url_of("f13"), url_of("f14"))
}

/// What the scripted API answered: to the preflight and to the request.
struct Scenario {
    method: &'static str,
    header: Option<(&'static str, &'static str)>,
    include: bool,
    preflight: Option<(u16, Vec<(&'static str, &'static str)>)>,
    actual: (u16, Vec<(&'static str, &'static str)>),
    /// The redirect target's answer.
    other: Option<(u16, Vec<(&'static str, &'static str)>)>,
    refused: bool,
}

fn get(status: u16, headers: Vec<(&'static str, &'static str)>) -> Scenario {
    Scenario {
        method: "GET",
        header: None,
        include: false,
        preflight: None,
        actual: (status, headers),
        other: None,
        refused: false,
    }
}

fn preflighted(
    method: &'static str,
    header: Option<(&'static str, &'static str)>,
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
) -> Scenario {
    Scenario { method, header, preflight: Some((status, headers)), ..get(200, vec![]) }
}

/// The scenarios of `record-firefox.mjs`, in its order (`{page}` and `{other}` filled in later).
fn scenarios() -> Vec<Scenario> {
    let acao = ("Access-Control-Allow-Origin", "{page}");
    vec![
        get(200, vec![]),
        get(404, vec![]),
        get(200, vec![("Access-Control-Allow-Origin", "http://127.0.0.9:1")]),
        get(200, vec![acao, acao]),
        Scenario { include: true, ..get(200, vec![("Access-Control-Allow-Origin", "*")]) },
        Scenario { include: true, ..get(200, vec![acao]) },
        preflighted("PUT", None, 404, vec![acao]),
        preflighted("PUT", None, 204, vec![acao]),
        preflighted("PUT", None, 204, vec![acao, ("Access-Control-Allow-Methods", "PUT DELETE")]),
        preflighted("GET", Some(("X-Custom", "1")), 204, vec![acao]),
        preflighted(
            "GET",
            Some(("X-Custom", "1")),
            204,
            vec![acao, ("Access-Control-Allow-Headers", "x-custom;x-other")],
        ),
        preflighted("PUT", None, 301, vec![acao, ("Location", "{other}/elsewhere")]),
        preflighted("DELETE", None, 204, vec![]),
        Scenario { other: Some((200, vec![])), ..get(302, vec![acao, ("Location", "{other}/{s}/target")]) },
        Scenario { refused: true, ..get(200, vec![]) },
        Scenario {
            actual: (200, vec![acao]),
            ..preflighted(
                "GET",
                Some(("Authorization", "Bearer x")),
                204,
                vec![acao, ("Access-Control-Allow-Headers", "*")],
            )
        },
    ]
}

fn answer(spec: &(u16, Vec<(&str, &str)>), page: &str, other: &str, s: &str) -> Response {
    spec.1.iter().fold(Response::new(spec.0), |r, (n, v)| {
        r.header(n, v.replace("{page}", page).replace("{other}", other).replace("{s}", s))
    })
}

/// Runs one scenario through the model, answering as the recording's servers did.
fn run(sc: &Scenario, s: &str) -> Verdict {
    let (page, api, other, closed) = origins();
    let base = if sc.refused { &closed } else { &api };
    let mut intent =
        Intent::new(format!("{base}/{s}/a").parse().unwrap(), Origin::parse(&page).unwrap()).method(sc.method);
    if let Some((n, v)) = sc.header {
        intent = intent.header(n, v);
    }
    if sc.include {
        intent = intent.credentials(Credentials::Include);
    }
    let mut fetch = Fetch::new(intent);
    loop {
        match fetch.next() {
            Step::Done(v) => return v,
            Step::Send(_) if sc.refused => fetch.fail("ERR_CONNECTION_REFUSED"),
            Step::Send(r) if r.method == "OPTIONS" => {
                fetch.receive(answer(sc.preflight.as_ref().expect("a scripted preflight"), &page, &other, s))
            }
            Step::Send(r) if r.url.as_str().starts_with(&other) => {
                fetch.receive(answer(sc.other.as_ref().expect("a scripted target"), &page, &other, s))
            }
            Step::Send(_) => fetch.receive(answer(&sc.actual, &page, &other, s)),
        }
    }
}

#[test]
fn the_models_firefox_lines_are_firefox_153s() {
    let mut compared = 0;
    for (i, sc) in scenarios().iter().enumerate() {
        let s = format!("f{i:02}");
        let expected = recorded(&s);
        let got = match run(sc, &s) {
            Verdict::Allowed(_) => Vec::new(),
            Verdict::Blocked(b) => b.firefox_console_lines(),
        };
        assert_eq!(got, expected, "{s}: the model's Firefox lines differ from Firefox 153's");
        compared += expected.len();
    }
    let total = RECORDED.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(compared, total, "every recorded line belongs to a scenario");
}

#[test]
fn the_models_firefox_lines_read_back_as_their_reason() {
    for (i, sc) in scenarios().iter().enumerate() {
        let s = format!("f{i:02}");
        let Verdict::Blocked(b) = run(sc, &s) else { continue };
        let lines = b.firefox_lines();
        let texts = b.firefox_console_lines();
        let parsed = parse_all(&texts.join("\n")).unwrap_or_else(|e| panic!("{s}: not read back: {e}"));
        assert_eq!(parsed.len(), lines.len(), "{s}: {texts:?}");
        for ((line, text), m) in lines.iter().zip(&texts).zip(&parsed) {
            assert_eq!(m.firefox_reason, Some(line.reason), "{s}: {text}");
            assert_eq!(m.url.as_deref(), Some(b.url.as_str()), "{s}: {text}");
            let status = line.status.as_deref().and_then(|st| st.parse().ok());
            assert_eq!(m.status, status, "{s}: {text}");
        }
        assert_eq!(parsed[0].firefox_code(), b.firefox_code(), "{s}");
    }
}

#[test]
fn firefox_counts_allow_origin_lines_by_their_name_as_sent() {
    use corsair_core::browser::firefox::check_access;
    use corsair_core::console::FirefoxReason;
    let origin = Origin::parse("http://127.0.0.1:1").unwrap();
    let twice = |name: &str| Response::new(200).header(name, "http://127.0.0.1:1").header(name, "http://127.0.0.1:1");
    let exact = check_access(&twice("Access-Control-Allow-Origin"), &origin, false).unwrap_err();
    assert_eq!(exact.reason, FirefoxReason::MultipleAllowOriginNotAllowed);
    // Lower-case lines are merged, then compared as one string (Firefox ESR 153, differential #020).
    let lower = check_access(&twice("access-control-allow-origin"), &origin, false).unwrap_err();
    assert_eq!(lower.reason, FirefoxReason::AllowOriginNotMatchingOrigin);
    assert_eq!(lower.value.as_deref(), Some("http://127.0.0.1:1, http://127.0.0.1:1"));
}

#[test]
fn firefox_preflights_the_client_hints_chromium_safelists() {
    use corsair_core::browser::{Engine, SendKind};
    let intent = Intent::new("http://127.0.0.2:1/a".parse().unwrap(), Origin::parse("http://127.0.0.1:1").unwrap())
        .header("DPR", "2.5");
    let Step::Send(chromium) = Fetch::new(intent.clone()).next() else { panic!() };
    assert_eq!(chromium.kind, SendKind::Actual);
    let mut firefox = Fetch::new(intent.engine(Engine::Firefox));
    let Step::Send(preflight) = firefox.next() else { panic!() };
    assert_eq!(preflight.kind, SendKind::Preflight);
    assert_eq!(preflight.header("access-control-request-headers"), Some("dpr"));
    // Answered as in the differential suite (no preflight route: 404), Firefox blocks.
    firefox.receive(Response::new(404));
    let Step::Done(Verdict::Blocked(b)) = firefox.next() else { panic!() };
    assert_eq!(b.firefox_code(), Some("CORSMissingAllowOrigin"));
}

#[test]
fn firefox_preflights_again_after_a_redirect() {
    use corsair_core::browser::{Engine, SendKind};
    let intent = Intent::new("http://127.0.0.2:1/a".parse().unwrap(), Origin::parse("http://127.0.0.1:1").unwrap())
        .method("POST")
        .header("Content-Type", "application/json");
    let kinds = |engine| {
        let mut fetch = Fetch::new(intent.clone().engine(engine));
        let mut kinds = Vec::new();
        while let Step::Send(r) = fetch.next() {
            kinds.push((r.kind, r.method.clone(), r.url.path().to_owned()));
            fetch.receive(match (r.kind, r.url.path()) {
                (SendKind::Preflight, _) => Response::new(204)
                    .header("Access-Control-Allow-Origin", "*")
                    .header("Access-Control-Allow-Headers", "content-type"),
                (_, "/a") => Response::new(303).header("Access-Control-Allow-Origin", "*").header("Location", "/b"),
                _ => Response::new(200).header("Access-Control-Allow-Origin", "*"),
            });
        }
        kinds
    };
    let chromium = kinds(Engine::Chromium);
    assert_eq!(chromium.iter().filter(|k| k.0 == SendKind::Preflight).count(), 1, "{chromium:?}");
    let firefox = kinds(Engine::Firefox);
    assert_eq!(firefox[2], (SendKind::Preflight, "OPTIONS".to_owned(), "/b".to_owned()), "{firefox:?}");
}

#[test]
fn every_firefox_reason_the_model_prints_reads_back() {
    use corsair_core::browser::firefox::FirefoxLine;
    use corsair_core::console::FirefoxReason::*;
    let url = "http://127.0.0.2:8080/items?q=1";
    let reasons = [
        (CorsDisabled, None, None),
        (DidNotSucceed, None, Some("(null)")),
        (OriginHeaderNotAdded, None, None),
        (ExternalRedirectNotAllowed, None, None),
        (RequestNotHttp, None, None),
        (MissingAllowOrigin, None, Some("502")),
        (MultipleAllowOriginNotAllowed, None, None),
        (AllowOriginNotMatchingOrigin, Some("http://a.test, http://b.test"), None),
        (NotSupportingCredentials, None, None),
        (MethodNotFound, None, None),
        (MissingAllowCredentials, None, None),
        (PreflightDidNotSucceed, None, Some("403")),
        (InvalidAllowMethod, Some("PUT DELETE"), None),
        (InvalidAllowHeader, Some("x-a;x-b"), None),
        (MissingAllowHeaderFromPreflight, Some("x-custom"), None),
        (AllowHeaderFromPreflightDeprecation, None, None),
    ];
    for (reason, value, status) in reasons {
        let line = FirefoxLine { reason, value: value.map(str::to_owned), status: status.map(str::to_owned) };
        let text = line.text(url);
        let m = &parse_all(&text).unwrap_or_else(|e| panic!("{text}: {e}"))[0];
        assert_eq!(m.firefox_reason, Some(reason), "{text}");
        assert_eq!(m.url.as_deref(), Some(url), "{text}");
        assert_eq!(m.status, status.and_then(|s| s.parse().ok()), "{text}");
        if let Some(v) = value {
            assert!(m.detail.contains(v), "{text}: the value is kept in {:?}", m.detail);
        }
    }
}
