//! Whatever the page hands the module, every operation answers one JSON document: the page
//! shows what the user typed as it is typed, so half-written input is the normal case.

use corsair_web::{call, Op};
use proptest::prelude::*;

const OPS: [Op; 5] = [Op::Explain, Op::Har, Op::Policy, Op::Decide, Op::Snippets];

fn answers_json(op: Op, input: &[u8]) {
    let out = call(op, input);
    let doc: serde_json::Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{op:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out)));
    assert!(doc.is_object(), "{op:?}: {doc}");
}

proptest! {
    #[test]
    fn arbitrary_bytes_get_a_json_answer(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for op in OPS {
            answers_json(op, &bytes);
        }
    }

    #[test]
    fn every_prefix_of_a_real_input_gets_a_json_answer(cut in 0usize..400) {
        let policy = "allow_origins = [\"https://app.example\", \"http://localhost:*\"]\nallow_methods = [\"PUT\"]\nallow_headers = [\"content-type\"]\nallow_credentials = true\nmax_age = 600\n";
        let message = "Access to fetch at 'https://api.test/x' (redirected from 'https://b.test/y') from origin 'https://app.test' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.";
        let har = r#"{"log": {"creator": {"name": "WebInspector", "version": "537.36"}, "entries": [{"request": {"method": "GET", "url": "https://api.test/x", "headers": [{"name": "Origin", "value": "https://app.test"}]}, "response": {"status": 200, "headers": []}}]}}"#;
        // The longest prefix of at most `cut` bytes that ends on a character boundary.
        let prefix = |s: &str| s[..(0..=cut.min(s.len())).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0)].to_owned();
        answers_json(Op::Policy, prefix(policy).as_bytes());
        answers_json(Op::Snippets, prefix(policy).as_bytes());
        answers_json(Op::Har, prefix(har).as_bytes());
        let explain = serde_json::json!({"text": prefix(message), "origin": "", "method": "PUT"}).to_string();
        answers_json(Op::Explain, explain.as_bytes());
        let decide = serde_json::json!({"policy": prefix(policy), "method": "OPTIONS", "headers": prefix("Origin: https://app.example\nAccess-Control-Request-Method: PUT\nAccess-Control-Request-Headers: content-type")}).to_string();
        answers_json(Op::Decide, decide.as_bytes());
    }
}
