// Fuzz body: `corsair proxy` config files (policy keys plus the `[proxy]` table), on arbitrary
// text. Included by `fuzz_targets/proxy_config.rs` and by `tests/fuzz_smoke.rs`.

use corsair_gateway::config::{load, Flags, Mode, Source};

/// Loads `data` as a config file, alone and with an upstream flag, and checks that errors point
/// inside the file and that a loaded gateway has something to serve.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.split('\n').count();
    let source = Source { name: "fuzz.toml".into(), text: text.into(), dir: Default::default() };
    let with_upstream = Flags { upstream: Some("http://127.0.0.1:8080".into()), ..Flags::default() };
    for flags in [Flags::default(), with_upstream] {
        match load(&source, &flags, |_| None) {
            Ok(config) => match &config.mode {
                Mode::Gateway(routes) => {
                    assert!(!routes.is_empty(), "a gateway with no route loaded");
                    assert!(routes.windows(2).all(|w| w[0].prefix.len() >= w[1].prefix.len()), "routes not sorted");
                    assert!(routes.iter().all(|r| r.prefix.starts_with('/')));
                }
                Mode::Open(open) => {
                    assert!(!open.targets.is_empty(), "an open proxy with no target loaded");
                    assert!(!open.policy.allows_credentials(), "an open proxy with credentials loaded");
                    assert!(config.egress.is_some(), "an open proxy without the SSRF guard");
                    assert!(
                        matches!(open.policy.refusal(), corsair_core::RefusalStyle::RejectAll(_)),
                        "an open proxy that relays for unlisted origins"
                    );
                }
            },
            Err(errors) => {
                let _ = errors.to_string();
                for e in &errors {
                    if let Some(loc) = &e.location {
                        assert!(loc.line <= lines, "line {} of a {lines}-line file", loc.line);
                    }
                }
            }
        }
    }
}
