//! The corpus of real console messages (`tests/console/*.txt`), and what pasting does to them.
//!
//! Each corpus line is `era<TAB>kind<TAB>url<TAB>origin<TAB>message`:
//! - `era`: the wording's period or browser build range, for the counts;
//! - `kind`: Chromium's enum name (`kMissingAllowOriginHeader`), an [`OtherFailure`] name, or
//!   `?` for a real wording corsair does not explain (it must then say so); `=value` after the
//!   name is the value the message names (method, header, `Access-Control-Allow-Origin` value,
//!   status), checked when given;
//! - `url`, `origin`: what the message names, `-` for nothing;
//! - `message`: the text as the browser printed it; `\n` separates the lines WebKit prints for
//!   one failure.
//!
//! Every line must parse to its expectations as printed and after each paste transformation:
//! wrapping at several columns (hard and at spaces, with and without indentation or quote
//! markers), typographic and straight quotes, no-break spaces, console prefixes, a JSON log
//! line, DevTools' network line after it, and several messages pasted together.

use corsair_core::console::{parse_all, Message};
use corsair_core::CorsError;

const FILES: [(&str, &str); 5] = [
    ("chromium", include_str!("console/chromium.txt")),
    ("chromium-156-recorded", include_str!("console/chromium-156-recorded.txt")),
    ("firefox", include_str!("console/firefox.txt")),
    ("firefox-153-recorded", include_str!("console/firefox-153-recorded.txt")),
    ("webkit", include_str!("console/webkit.txt")),
];

#[derive(Debug)]
struct Case {
    file: &'static str,
    era: String,
    kind: String,
    hint: Option<String>,
    url: Option<String>,
    origin: Option<String>,
    text: String,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (file, body) in FILES {
        for line in body.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let f: Vec<&str> = line.splitn(5, '\t').collect();
            assert_eq!(f.len(), 5, "{file}: {line}");
            let opt = |s: &str| (s != "-").then(|| s.to_owned());
            let (kind, hint) = match f[1].split_once('=') {
                Some((k, h)) => (k.to_owned(), Some(h.to_owned())),
                None => (f[1].to_owned(), None),
            };
            out.push(Case {
                file,
                era: f[0].to_owned(),
                kind,
                hint,
                url: opt(f[2]),
                origin: opt(f[3]),
                text: f[4].replace("\\n", "\n"),
            });
        }
    }
    out
}

fn kind(m: &Message) -> String {
    match (&m.error, &m.other) {
        (Some(e), _) => e.chromium_name().to_owned(),
        (None, Some(o)) => o.name().to_owned(),
        (None, None) => "?".to_owned(),
    }
}

fn hint(e: &CorsError) -> String {
    use CorsError::*;
    match e {
        MultipleAllowOriginValues { value }
        | PreflightMultipleAllowOriginValues { value }
        | InvalidAllowOriginValue { value }
        | PreflightInvalidAllowOriginValue { value }
        | AllowOriginMismatch { value }
        | PreflightAllowOriginMismatch { value }
        | InvalidAllowCredentials { value }
        | PreflightInvalidAllowCredentials { value } => String::from_utf8_lossy(value).into_owned(),
        MethodDisallowedByPreflightResponse { method } => method.clone(),
        HeaderDisallowedByPreflightResponse { name } => name.clone(),
        PreflightInvalidStatus { status } => status.to_string(),
        _ => String::new(),
    }
}

/// Why `m` does not meet `c`'s expectations, if it does not.
fn mismatch(c: &Case, m: &Message) -> Option<String> {
    let got = kind(m);
    if got != c.kind {
        return Some(format!("kind {got}, expected {}", c.kind));
    }
    if let (Some(h), Some(e)) = (&c.hint, &m.error) {
        if &hint(e) != h {
            return Some(format!("value {:?}, expected {h:?}", hint(e)));
        }
    }
    if m.url != c.url {
        return Some(format!("url {:?}, expected {:?}", m.url, c.url));
    }
    if m.page_origin != c.origin {
        return Some(format!("origin {:?}, expected {:?}", m.page_origin, c.origin));
    }
    None
}

fn check_one(c: &Case, how: &str, text: &str) -> Result<(), String> {
    let messages = parse_all(text).map_err(|e| format!("{}: {how}: {e}\n{text}", c.file))?;
    if messages.len() != 1 {
        return Err(format!("{}: {how}: {} messages, expected 1\n{text}\n{messages:#?}", c.file, messages.len()));
    }
    mismatch(c, &messages[0]).map_or(Ok(()), |why| Err(format!("{}: {how}: {why}\n{text}", c.file)))
}

/// Wraps each line at `col` characters: hard (mid-word, nothing lost) or at the last space
/// before `col` (the space lost, as word wrapping does), each new line starting with `indent`.
fn wrap(text: &str, col: usize, hard: bool, indent: &str) -> String {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let mut rest: Vec<char> = line.chars().collect();
        let mut first = true;
        while rest.len() > col {
            let mut cut = col;
            let mut skip = 0;
            if !hard {
                if let Some(i) = rest[..col].iter().rposition(|c| *c == ' ').filter(|&i| i > 0) {
                    cut = i;
                    skip = 1;
                }
            }
            let head: String = rest[..cut].iter().collect();
            out.push(if first { head } else { format!("{indent}{head}") });
            first = false;
            rest.drain(..cut + skip);
        }
        let tail: String = rest.iter().collect();
        out.push(if first { tail } else { format!("{indent}{tail}") });
    }
    out.join("\n")
}

fn json_line(text: &str) -> String {
    let mut s = String::from("{\"level\":\"error\",\"time\":1700000000,\"msg\":\"");
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\u{2018}' => s.push_str("\\u2018"),
            '\u{2019}' => s.push_str("\\u2019"),
            c => s.push(c),
        }
    }
    s.push_str("\"}");
    s
}

/// Every paste transformation of one message, named.
fn transformations(text: &str) -> Vec<(String, String)> {
    let mut t = vec![("as printed".to_owned(), text.to_owned())];
    for col in [17, 33, 61, 80] {
        for indent in ["", "    ", "> "] {
            t.push((format!("hard wrap at {col}, indent {indent:?}"), wrap(text, col, true, indent)));
            t.push((format!("word wrap at {col}, indent {indent:?}"), wrap(text, col, false, indent)));
        }
    }
    t.push(("curly quotes".into(), text.replace('\'', "\u{2019}").replace('"', "\u{201d}")));
    t.push(("straight quotes".into(), text.replace(['\u{2018}', '\u{2019}'], "'")));
    t.push(("no-break spaces".into(), text.replace(' ', "\u{a0}")));
    t.push(("CRLF".into(), text.replace('\n', "\r\n")));
    for prefix in ["index.html:1 ", "12:34:56.789 ", "[Error] ", "console.error: ", "app.js:12 Uncaught (in promise) "]
    {
        t.push((format!("prefix {prefix:?}"), format!("{prefix}{text}")));
    }
    t.push(("JSON log line".into(), json_line(text)));
    t.push(("Chrome's 'Understand this error' button copied along".into(), format!("{text}Understand this error")));
    t.push(("stack trace after".into(), format!("{text}\n    at fetchItems (app.js:12:5)\n    at main (app.js:40:3)")));
    t
}

#[test]
fn every_corpus_line_reads_as_expected_however_it_was_pasted() {
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        for (how, text) in transformations(&c.text) {
            // An unrecognised wording's URL ends where a space follows: a hard wrap hides that.
            if c.kind == "?" && how.starts_with("hard wrap") {
                continue;
            }
            if let Err(e) = check_one(c, &how, &text) {
                failures.push(e);
            }
        }
    }
    // CORPUS_VERBOSE=1 shows each failing text whole.
    let verbose = std::env::var_os("CORPUS_VERBOSE").is_some();
    let firsts: Vec<&str> =
        failures.iter().map(|f| if verbose { f.as_str() } else { f.lines().next().unwrap_or_default() }).collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), firsts.join("\n"));
}

#[test]
fn devtools_network_lines_give_the_method_and_status() {
    for c in cases()
        .iter()
        .filter(|c| c.url.as_deref().is_some_and(|u| u.starts_with("http")) && c.file.starts_with("chromium"))
    {
        let url = c.url.as_deref().unwrap_or_default();
        for sep in ["\n", " ", "\nxhr.js:247 "] {
            let text = format!("{}{sep}PUT {url} net::ERR_FAILED 502 (Bad Gateway)", c.text);
            let m = &parse_all(&text).unwrap_or_else(|e| panic!("{e}: {text}"))[0];
            assert_eq!(mismatch(c, m), None, "{text}");
            assert_eq!(m.method.as_deref(), Some("PUT"), "{text}");
            assert!(m.status.is_some(), "{text}");
        }
    }
}

#[test]
fn several_messages_are_each_read_in_order() {
    let all = cases();
    // Chromium and Firefox lines, one after another in one paragraph, wrapped or not.
    let group: Vec<&Case> = all.iter().filter(|c| c.file != "webkit").collect();
    let pasted = group.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("\n");
    for (how, text) in [("lines", pasted.clone()), ("wrapped", wrap(&pasted, 70, false, "  "))] {
        let got = parse_all(&text).unwrap();
        for (c, m) in group.iter().zip(&got) {
            assert_eq!(mismatch(c, m), None, "{how}: {}\n{m:#?}", c.text);
        }
        assert_eq!(got.len(), group.len(), "{how}");
    }
    // WebKit's lines for one failure are joined; separate failures need a blank line between.
    let webkit: Vec<&Case> = all.iter().filter(|c| c.file == "webkit").collect();
    let pasted = webkit.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("\n\n");
    let got = parse_all(&pasted).unwrap();
    assert_eq!(got.len(), webkit.len());
    for (c, m) in webkit.iter().zip(&got) {
        assert_eq!(mismatch(c, m), None, "{}", c.text);
    }
}

#[test]
fn a_redirected_message_after_another_is_its_own_message() {
    let first = "Access to fetch at 'https://api.example.com/a' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.";
    let second = "Access to fetch at 'https://login.example.com/sso' (redirected from 'https://api.example.com/b') from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.";
    let got = parse_all(&wrap(&format!("{first}\n{second}"), 50, false, "")).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].error, Some(CorsError::PreflightInvalidStatus { status: 0 }));
    assert_eq!(got[1].error, Some(CorsError::MissingAllowOriginHeader));
    assert_eq!(got[1].url.as_deref(), Some("https://login.example.com/sso"));
    assert_eq!(got[1].initial_url.as_deref(), Some("https://api.example.com/b"));
}

#[test]
fn corpus_counts_per_browser_and_era() {
    let all = cases();
    let mut rows: Vec<(String, String, usize, usize)> = Vec::new();
    for c in &all {
        let explained = usize::from(c.kind != "?");
        match rows.iter_mut().find(|r| r.0 == c.file && r.1 == c.era) {
            Some(r) => {
                r.2 += 1;
                r.3 += explained;
            }
            None => rows.push((c.file.to_owned(), c.era.clone(), 1, explained)),
        }
    }
    println!("| corpus | era | messages | explained |\n|---|---|---|---|");
    for (file, era, n, e) in &rows {
        println!("| {file} | {era} | {n} | {e} |");
    }
    let explained: usize = rows.iter().map(|r| r.3).sum();
    println!("| all | | {} | {explained} ({:.0}%) |", all.len(), 100.0 * explained as f64 / all.len() as f64);
    for browser in ["chromium", "firefox", "webkit"] {
        assert!(all.iter().filter(|c| c.file == browser).count() >= 20, "{browser}: too few lines");
    }
}

#[test]
fn framework_logs_around_a_message_are_skipped() {
    let chromium = "Access to XMLHttpRequest at 'http://localhost:8080/api/items' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.";
    let pastes = [
        // axios in Chrome's console: the CORS line, DevTools' network line, axios' error.
        format!("{chromium}\nxhr.js:247 GET http://localhost:8080/api/items net::ERR_FAILED 200 (OK)\nAxiosError {{message: 'Network Error', name: 'AxiosError', code: 'ERR_NETWORK', config: {{…}}, request: XMLHttpRequest, …}}"),
        // Angular: the CORS line, then HttpErrorResponse and its message.
        format!("{chromium}\ncore.mjs:6531 ERROR HttpErrorResponse {{headers: HttpHeaders, status: 0, statusText: 'Unknown Error', url: 'http://localhost:8080/api/items', ok: false, name: 'HttpErrorResponse', message: 'Http failure response for http://localhost:8080/api/items: 0 Unknown Error', …}}"),
        // Playwright's console event as its JSON reporter writes it.
        format!("{{\"type\":\"error\",\"text\":\"{chromium}\",\"location\":{{\"url\":\"http://localhost:3000/src/api.ts\",\"lineNumber\":12,\"columnNumber\":5}}}}"),
        // Playwright's list reporter.
        format!("  [chromium] › items.spec.ts:8:3 › loads items\n    Browser console error: {chromium}\n    at http://localhost:3000/src/api.ts:12:5"),
    ];
    for text in &pastes {
        let got = parse_all(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(got.len(), 1, "{text}\n{got:#?}");
        assert_eq!(got[0].error, Some(CorsError::MissingAllowOriginHeader), "{text}");
        assert_eq!(got[0].url.as_deref(), Some("http://localhost:8080/api/items"), "{text}");
        assert_eq!(got[0].page_origin.as_deref(), Some("http://localhost:3000"), "{text}");
    }
    let got = parse_all(&pastes[0]).unwrap();
    assert_eq!((got[0].method.as_deref(), got[0].status), (Some("GET"), Some(200)));
}

#[test]
fn firefox_console_prefixes_and_tails_are_skipped() {
    let text = "12:01:33.456 Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://localhost:8080/api/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 404. [Learn More] items.js:12:9\n12:01:33.460 Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://localhost:8080/api/items. (Reason: CORS request did not succeed). Status code: (null). [Learn More]";
    let got = parse_all(text).unwrap();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].firefox_code(), Some("CORSMissingAllowOrigin"));
    assert_eq!(got[0].status, Some(404));
    assert_eq!(got[1].firefox_code(), Some("CORSDidNotSucceed"));
    assert_eq!(got[1].status, None);
    assert!(got.iter().all(|m| m.url.as_deref() == Some("http://localhost:8080/api/items")));
}
