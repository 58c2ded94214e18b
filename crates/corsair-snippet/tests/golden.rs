//! The golden-only stacks (cloud services and servers that do not install here): each snippet is
//! compared with a reviewed file in `tests/golden/`, for the three test policies, warnings
//! included. `SNIPPET_BLESS=1 cargo test -p corsair-snippet --test golden` rewrites the files;
//! review the diff before committing it.

mod common;

use std::path::PathBuf;

use corsair_core::Policy;
use corsair_snippet::{render, Stack};

fn golden(stack: Stack, policy: &Policy, variant: &str) {
    let snippet = render(policy, stack);
    let mut text = snippet.to_string();
    text.push_str("\n==== warnings ====\n");
    for w in &snippet.warnings {
        text.push_str(&format!("{w}\n"));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{}{variant}.txt", stack.name()));
    if std::env::var("SNIPPET_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &text).expect("write the golden file");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (SNIPPET_BLESS=1 writes it)", path.display()));
    assert_eq!(text, want, "{} differs from {}", stack.name(), path.display());
}

fn golden_stacks() -> Vec<Stack> {
    Stack::ALL.into_iter().filter(|s| !s.run_verified()).collect()
}

#[test]
fn golden_only_stacks_match_their_files() {
    let stacks = golden_stacks();
    assert_eq!(stacks.len(), 8, "{stacks:?}");
    for stack in stacks {
        golden(stack, &common::policy(), "");
        golden(stack, &common::star_policy(), "-star");
        golden(stack, &common::echo_policy(), "-echo");
    }
}

/// Where a product cannot say part of the policy, the snippet says so and warns: what is left
/// out is never silent.
#[test]
fn what_a_product_cannot_express_is_a_warning_and_a_comment() {
    let no_credentials = Policy::builder().allow_origins(["https://example.com"]).build().unwrap();
    let cases: [(Stack, &Policy, &str); 5] = [
        (Stack::S3, &no_credentials, "S3 has no credentials setting"),
        (Stack::S3, &common::policy(), "http://localhost:*: S3's `*` needs the `:`"),
        (Stack::ApiGateway, &common::policy(), "https://*.example.com: API Gateway has no subdomain or port patterns"),
        (Stack::IngressNginx, &common::policy(), "matches one label only"),
        (Stack::IngressNginx, &common::policy(), "http://localhost:*: ingress-nginx has no port patterns"),
    ];
    for (stack, policy, warning) in cases {
        let snippet = render(policy, stack);
        assert!(snippet.warnings.iter().any(|w| w.contains(warning)), "{stack}: {:?}", snippet.warnings);
        let text = snippet.to_string();
        assert!(
            text.lines().any(|l| l.contains("NOT EXPRESSED") && l.contains(warning)),
            "{stack}: the comment is missing: {text}"
        );
    }
    // What they can express, they express without a warning.
    for stack in [Stack::Spring, Stack::AspNet, Stack::Laravel, Stack::Traefik, Stack::CloudflareWorkers] {
        assert_eq!(render(&common::policy(), stack).warnings, Vec::<String>::new(), "{stack}");
    }
}

/// The patterns each product takes are anchored and escaped, never a bare substring.
#[test]
fn patterns_are_anchored_in_every_regex_form() {
    let policy = common::policy();
    let text = |s| render(&policy, s).to_string();
    assert!(text(Stack::Traefik).contains(r"- '^https://(?:[a-z0-9-]+\.)+example\.com$'"));
    assert!(text(Stack::Laravel).contains(r"'#^https://(?:[a-z0-9-]+\.)+example\.com\z#'"));
    assert!(text(Stack::AspNet).contains(r#"new Regex(@"^http://localhost(?::[0-9]{1,5})?\z""#));
    assert!(text(Stack::Spring).contains(r#".allowedOriginPatterns("https://*.example.com", "http://localhost:[*]")"#));
}

/// The JSON S3 takes parses, and holds what the policy allows.
#[test]
fn the_s3_configuration_is_json() {
    let snippet = render(&common::policy(), Stack::S3);
    let json = &snippet.parts[1].text;
    let python = std::process::Command::new("python3")
        .args(["-c", "import json, sys; d = json.load(sys.stdin); r = d['CORSRules'][0]; print(r['AllowedOrigins'], r['AllowedMethods'], r['MaxAgeSeconds'])"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = python else {
        common::missing("python3 (to parse the S3 JSON)");
        return;
    };
    use std::io::Write;
    child.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "not JSON: {json}");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("'https://example.com', 'https://*.example.com', 'http://localhost:*'"), "{printed}");
    assert!(printed.contains("'PUT', 'DELETE'] 600"), "{printed}");
}
