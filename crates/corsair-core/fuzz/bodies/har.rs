// Fuzz body: HAR files (what `corsair explain --har` reads), on arbitrary bytes.
// Included by `fuzz_targets/har.rs` and by `tests/fuzz_smoke.rs`.

use corsair_core::browser::Verdict;
use corsair_core::har::{replay, Har, Outcome};
use serde_json::json;

/// Reads `data` as a HAR; then splits it on `|` into the values of a well-formed HAR (a request,
/// its preflight, a redirect hop) so the replay, not only the parser, meets arbitrary values.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Har::parse(&text) {
        Ok(har) => check_replay(&har),
        Err(e) => assert!(!e.to_string().is_empty()),
    }

    let fields: Vec<&str> = text.split('|').collect();
    let f = |i: usize| fields.get(i).copied().unwrap_or_default();
    let statuses = [200u16, 204, 301, 302, 307, 403, 0];
    let status = |i: usize| statuses[usize::from(data.get(i).copied().unwrap_or(0)) % statuses.len()];
    let h = |n: &str, v: &str| json!({"name": n, "value": v});
    let har = json!({"log": {
        "creator": {"name": f(7), "version": "1"},
        "pages": [{"id": "page_1", "title": f(8)}],
        "entries": [
            {"pageref": "page_1", "_resourceType": "fetch",
             "request": {"method": f(9), "url": f(0), "headers": [h("Origin", f(1)), h(f(2), f(10))]},
             "response": {"status": status(0), "headers": [h("Access-Control-Allow-Origin", f(3)), h("Location", f(4))], "_error": f(11)}},
            {"pageref": "page_1", "request": {"method": "OPTIONS", "url": f(0),
               "headers": [h("Access-Control-Request-Method", f(5)), h("Access-Control-Request-Headers", f(6))]},
             "response": {"status": status(1), "headers": [h("Access-Control-Allow-Origin", f(3)),
               h("Access-Control-Allow-Methods", f(5)), h("Access-Control-Allow-Headers", f(6)), h("Location", f(4))]}},
            {"pageref": "page_1", "request": {"method": f(9), "url": f(4), "headers": [h("Origin", f(1))]},
             "response": {"status": status(2), "headers": [h("Access-Control-Allow-Origin", f(3))]}}
        ]}});
    let har = Har::parse(&har.to_string()).unwrap_or_else(|e| panic!("a well-formed HAR: {e}"));
    assert_eq!(har.entries.len(), 3);
    check_replay(&har);
}

/// Every request is replayed once, on entries no other request used; every block has a message.
fn check_replay(har: &Har) {
    let r = replay(har);
    let n = har.entries.len();
    assert!(r.requests.len() + r.same_origin + r.not_cors <= n);
    let mut used = vec![false; n];
    for j in &r.requests {
        let mut mine: Vec<usize> = j.exchanges.iter().map(|(_, _, e)| *e).collect();
        mine.push(j.entry);
        mine.sort_unstable();
        mine.dedup();
        for e in mine {
            assert!(e < n);
            assert!(!used[e], "entry {e} used twice");
            used[e] = true;
        }
        assert!(j.sanitised.iter().all(|s| *s == s.to_ascii_lowercase()));
        match &j.outcome {
            Outcome::Judged(Verdict::Blocked(b)) => assert!(!b.console_message().is_empty()),
            Outcome::Judged(Verdict::Allowed(_)) => {}
            Outcome::Incomplete { missing, .. } => assert!(!missing.describe().is_empty()),
        }
    }
}
