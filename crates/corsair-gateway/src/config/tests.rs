//! The configuration pipeline, end to end: files, flags and environment to a [`Config`] or to
//! every error at once, each where it was written.

use std::path::PathBuf;
use std::time::Duration;

use corsair_core::policy_file::Key;
use corsair_core::ConfigErrors;
use http::uri::Scheme;

use super::reader::parse_resolve;
use super::table::{ProxyTable, RouteTable, StoreTable, ROUTE_KEYS, STORE_KEYS};
use super::*;
use crate::ratelimit::{WhenStoreFails, DEFAULT_TIMEOUT};

#[test]
fn resolve_entries_read_the_shared_rule_and_the_older_form() {
    use std::net::IpAddr;
    let rule = |e: &str| parse_resolve(e).map(|r| (r.host, r.port, r.addr));
    let ip = |a: &str| a.parse::<IpAddr>().unwrap();
    assert_eq!(rule("api.test:127.0.0.2"), Ok(("api.test".into(), None, ip("127.0.0.2"))));
    assert_eq!(rule("api.test:*:::1"), Ok(("api.test".into(), None, ip("::1"))));
    assert_eq!(rule("Api.Test:8443:[::1]"), Ok(("api.test".into(), Some(8443), ip("::1"))));
    assert!(rule("api.test:::1").is_err(), "an IPv6 address needs the port part");
    assert!(rule("api.test").unwrap_err().contains("HOST:PORT:ADDR"));
}

fn load_text(text: &str, flags: &Flags) -> Result<Config, ConfigErrors> {
    let source = Source { name: "corsair.toml".into(), text: text.into(), dir: PathBuf::from("/etc/corsair") };
    load(&source, flags, |_| None)
}

fn routes(c: &Config) -> &[Route] {
    match &c.mode {
        Mode::Gateway(r) => r,
        Mode::Open(_) => panic!("open mode"),
    }
}

#[test]
fn dev_profile_serves_loopback_pages_on_loopback() {
    let flags = Flags { upstream: Some("http://localhost:8080".into()), ..Flags::default() };
    let c = load(&Source::dev(), &flags, |_| None).unwrap();
    assert_eq!(c.listen, "127.0.0.1:8787".parse().unwrap());
    let r = routes(&c);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].prefix, "/");
    assert_eq!(r[0].upstream.authority.as_str(), "localhost:8080");
    let origins: Vec<String> = r[0].policy.origins().iter().map(|o| o.to_string()).collect();
    assert_eq!(origins, ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]);
    assert!(!r[0].policy.allows_credentials());
    assert!(c.egress.is_none());
}

#[test]
fn allow_origin_flags_replace_the_dev_origins() {
    let flags = Flags {
        upstream: Some("http://localhost:8080".into()),
        allow_origins: vec!["https://app.example.com".into()],
        allow_credentials: true,
        allow_methods: Some("GET,POST".into()),
        ..Flags::default()
    };
    let c = load(&Source::dev(), &flags, |_| None).unwrap();
    let p = &routes(&c)[0].policy;
    assert_eq!(p.origins().len(), 1);
    assert!(p.allows_credentials());
}

#[test]
fn no_upstream_says_what_to_write() {
    let err = load(&Source::dev(), &Flags::default(), |_| None).unwrap_err().to_string();
    assert!(err.contains("--upstream http://localhost:8080"), "{err}");
}

#[test]
fn routes_profiles_and_longest_prefix_first() {
    let text = r#"
allow_origins = ["https://app.example.com"]
[profiles.admin]
allow_origins = ["https://admin.example.com"]
allow_credentials = true
[proxy]
listen = "0.0.0.0:8443"
upstream = "http://localhost:8080"
[[proxy.routes]]
prefix = "/admin/"
upstream = "https://localhost:9443/internal/"
profile = "admin"
strip_prefix = true
"#;
    let c = load_text(text, &Flags::default()).unwrap();
    let r = routes(&c);
    assert_eq!(r[0].prefix, "/admin");
    assert!(r[0].strip_prefix);
    assert_eq!(r[0].upstream.base_path, "/internal");
    assert_eq!(r[0].upstream.scheme, Scheme::HTTPS);
    assert!(r[0].policy.allows_credentials());
    assert_eq!(r[1].prefix, "/");
    assert!(!r[1].policy.allows_credentials());
}

#[test]
fn profile_proxy_tables_override_key_by_key() {
    let text = r#"
allow_origins = ["https://app.example.com"]
[proxy]
listen = "127.0.0.1:9000"
upstream = "http://localhost:8080"
max_body_bytes = 1000
[profiles.prod.proxy]
listen = "0.0.0.0:443"
"#;
    let flags = Flags { profile: Some("prod".into()), ..Flags::default() };
    let c = load_text(text, &flags).unwrap();
    assert_eq!(c.listen, "0.0.0.0:443".parse().unwrap());
    assert_eq!(c.limits.max_body, 1000);
    let env = |k: &str| (k == "CORSAIR_LISTEN").then(|| "127.0.0.1:7000".to_owned());
    let source = Source { name: "c.toml".into(), text: text.into(), dir: PathBuf::new() };
    assert_eq!(load(&source, &flags, env).unwrap().listen, "127.0.0.1:7000".parse().unwrap());
}

#[test]
fn every_error_at_once_with_line_and_column() {
    let text = r#"allow_origins = ["https://app.example.com"]
[proxy]
listen = "everywhere"
upstream = "ftp://files.example.com"
forwarded = "maybe"
max_body_bytes = -1
"#;
    let err = load_text(text, &Flags::default()).unwrap_err();
    let s = err.to_string();
    assert_eq!(err.len(), 4, "{s}");
    assert!(s.contains("corsair.toml:3:10: proxy.listen: `everywhere` is not an address"), "{s}");
    assert!(s.contains("corsair.toml:4:12: proxy.upstream: `ftp` upstreams are not proxied"), "{s}");
    assert!(s.contains("corsair.toml:5:13: proxy.forwarded: `maybe` is unknown"), "{s}");
    assert!(s.contains("corsair.toml:6:18: proxy.max_body_bytes: -1 is out of range"), "{s}");
}

#[test]
fn unknown_proxy_keys_are_located() {
    let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstrem = \"http://localhost:1\"\n";
    let s = load_text(text, &Flags::default()).unwrap_err().to_string();
    assert!(s.starts_with("error: corsair.toml:3:1: unknown key `proxy.upstrem`; did you mean `upstream`?"), "{s}");
}

#[test]
fn the_dev_profile_lets_authorization_through() {
    let flags = Flags { upstream: Some("http://localhost:8080".into()), ..Flags::default() };
    let c = load(&Source::dev(), &flags, |_| None).unwrap();
    let toml = routes(&c)[0].policy.to_toml();
    assert!(toml.contains("allow_headers = [\"*\", \"authorization\"]"), "{toml}");
    assert!(warnings(&c).is_empty(), "{:?}", warnings(&c));
}

#[test]
fn a_list_flag_that_drops_the_dev_profiles_star_is_a_warning() {
    let flags = Flags {
        upstream: Some("http://localhost:8080".into()),
        allow_headers: Some("x-api-key".into()),
        ..Flags::default()
    };
    let c = load(&Source::dev(), &flags, |_| None).unwrap();
    let w = warnings(&c);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "flag --allow-headers replaces allow_headers = [\"*\", \"authorization\"] ((embedded dev profile):4:17)"
        ),
        "{}",
        w[0]
    );
}

#[test]
fn errors_from_flags_name_the_flag_not_a_variable() {
    let flags = Flags {
        upstream: Some("localhost:8080".into()),
        listen: Some("everywhere".into()),
        allow_origins: vec!["https://a.example/".into()],
        max_age: Some(100_000),
        ..Flags::default()
    };
    let s = load(&Source::dev(), &flags, |_| None).unwrap_err().to_string();
    assert!(!s.contains("CORSAIR_"), "{s}");
    for flag in [
        "flag --listen: proxy.listen:",
        "flag --allow-origin: `https://a.example/`",
        "flag --max-age: max_age = 100000",
        "flag --upstream: proxy.upstream:",
    ] {
        assert!(s.contains(&format!("error: {flag}")), "{flag} in\n{s}");
    }
    let env = |k: &str| (k == "CORSAIR_UPSTREAM").then(|| "ftp://x".to_owned());
    let s = load(&Source::dev(), &Flags::default(), env).unwrap_err().to_string();
    assert!(s.starts_with("error: environment variable CORSAIR_UPSTREAM: proxy.upstream: `ftp`"), "{s}");
}

#[test]
fn open_mode_keys_in_a_gateway_are_errors_at_the_key() {
    let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\nallow_targets = [\"api.example.com\"]\nrate_per_client = \"60/minute\"\nrate_per_origin = \"60/minute\"\n";
    let err = load_text(text, &Flags::default()).unwrap_err();
    let s = err.to_string();
    assert_eq!(err.len(), 3, "{s}");
    assert!(s.contains("corsair.toml:4:17: proxy.allow_targets: applies to the open proxy only"), "{s}");
    assert!(s.contains("corsair.toml:5:19: proxy.rate_per_client: applies to the open proxy only"), "{s}");
    assert!(s.contains("corsair.toml:6:19: proxy.rate_per_origin: applies to the open proxy only"), "{s}");
    let flags = Flags { allow_targets: vec!["api.example.com".into()], ..Flags::default() };
    let s = load_text("allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\n", &flags)
        .unwrap_err()
        .to_string();
    assert!(s.contains("flag --allow-target: --allow-target: applies to the open proxy only"), "{s}");
}

const OPEN: &str = "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"open\"\nallow_targets = [\"api.example.com\"]\nrate_per_client = \"60/minute\"\n";

fn open_store(c: &Config) -> &StoreSettings {
    match &c.mode {
        Mode::Open(open) => &open.store,
        Mode::Gateway(_) => panic!("gateway mode"),
    }
}

#[test]
fn the_rate_limit_store_is_memory_unless_redis_is_configured() {
    let c = load_text(OPEN, &Flags::default()).unwrap();
    assert_eq!(open_store(&c), &StoreSettings::Memory);
    let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"redis\"\nurl = \"redis://10.0.0.5:6380/3\"\n");
    let c = load_text(&text, &Flags::default()).unwrap();
    let StoreSettings::Redis(r) = open_store(&c) else { panic!("{:?}", open_store(&c)) };
    assert_eq!(r.url.to_string(), "redis://10.0.0.5:6380/3");
    assert_eq!(
        (r.key_prefix.as_str(), r.timeout, r.on_failure),
        ("corsair:rl:", DEFAULT_TIMEOUT, WhenStoreFails::Admit)
    );
    let text = format!("{text}key_prefix = \"api:\"\ntimeout_ms = 20\non_failure = \"refuse\"\n");
    let StoreSettings::Redis(r) = open_store(&load_text(&text, &Flags::default()).unwrap()).clone() else { panic!() };
    assert_eq!(
        (r.key_prefix.as_str(), r.timeout, r.on_failure),
        ("api:", Duration::from_millis(20), WhenStoreFails::Refuse)
    );
    // A profile replaces the table whole.
    let text = format!("{text}[profiles.solo.proxy.rate_limit_store]\nkind = \"memory\"\n");
    let flags = Flags { profile: Some("solo".into()), ..Flags::default() };
    assert_eq!(open_store(&load_text(&text, &flags).unwrap()), &StoreSettings::Memory);
}

#[test]
fn rate_limit_store_mistakes_are_located_and_say_what_to_write() {
    let text = format!(
        "{OPEN}rate_per_origin = \"2000000/second\"\n[proxy.rate_limit_store]\nkind = \"redis\"\nurl = \"rediss://cache:6380\"\nkey_prefix = \"a b\"\ntimeout_ms = 0\non_failure = \"deny\"\n"
    );
    let err = load_text(&text, &Flags::default()).unwrap_err();
    let s = err.to_string();
    assert_eq!(err.len(), 5, "{s}");
    assert!(s.contains("corsair.toml:6:19: proxy.rate_per_origin: is more than the Redis store counts"), "{s}");
    assert!(
        s.contains(
            "corsair.toml:9:7: proxy.rate_limit_store.url: `rediss://cache:6380`: TLS to Redis is not supported"
        ),
        "{s}"
    );
    assert!(s.contains("corsair.toml:10:14: proxy.rate_limit_store.key_prefix: write 1 to 100 printable"), "{s}");
    assert!(
        s.contains(
            "corsair.toml:11:14: proxy.rate_limit_store.timeout_ms: 0 is out of range; write a number from 1 to 10000"
        ),
        "{s}"
    );
    assert!(
        s.contains("corsair.toml:12:14: proxy.rate_limit_store.on_failure: `deny` is unknown; write \"admit\""),
        "{s}"
    );

    let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"redis\"\n");
    let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
    assert!(s.contains("corsair.toml:7:8: proxy.rate_limit_store.url: the Redis store needs an address: write url = \"redis://127.0.0.1:6379/0\""), "{s}");
    let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"memcached\"\n");
    let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
    assert!(
        s.contains("corsair.toml:7:8: proxy.rate_limit_store.kind: `memcached` is not a store; write \"memory\""),
        "{s}"
    );
    let text = format!("{OPEN}[proxy.rate_limit_store]\nurl = \"redis://127.0.0.1\"\n");
    let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
    assert!(s.contains("corsair.toml:7:7: proxy.rate_limit_store.url: applies to the Redis store only; remove it, or set kind = \"redis\""), "{s}");
    let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"redis\"\ntimeout = 50\n");
    let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
    assert!(s.contains("corsair.toml:8:1: unknown key `proxy.rate_limit_store.timeout`"), "{s}");
    // Gateway mode has no rate limits to store.
    let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\n[proxy.rate_limit_store]\nkind = \"redis\"\n";
    let s = load_text(text, &Flags::default()).unwrap_err().to_string();
    assert!(s.contains("proxy.rate_limit_store: applies to the open proxy only"), "{s}");
}

#[test]
fn gateway_keys_in_open_mode_are_errors_at_the_key() {
    let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"open\"\nallow_targets = [\"api.example.com\"]\nupstream = \"http://localhost:1\"\negress_guard = false\n";
    let s = load_text(text, &Flags::default()).unwrap_err().to_string();
    assert!(s.contains("corsair.toml:5:12: proxy.upstream: the open proxy takes its targets from the path"), "{s}");
    assert!(s.contains("corsair.toml:6:16: proxy.egress_guard: the open proxy always guards"), "{s}");
}

#[test]
fn a_route_naming_a_missing_profile_is_located_at_the_name() {
    let text = r#"allow_origins = ["https://a.example"]
[profiles.admin]
allow_origins = ["https://admin.example"]
[proxy]
[[proxy.routes]]
prefix = "/a"
upstream = "http://localhost:1"
profile = "admn"
[[proxy.routes]]
prefix = "/b"
upstream = "http://localhost:2"
profile = "nope"
"#;
    let err = load_text(text, &Flags::default()).unwrap_err();
    let s = err.to_string();
    assert_eq!(err.len(), 2, "{s}");
    assert!(s.contains("error: corsair.toml:8:11: no profile `admn` in this file; choose one of: admin"), "{s}");
    assert!(s.contains("error: corsair.toml:12:11: no profile `nope` in this file"), "{s}");
}

#[test]
fn a_profile_shared_by_routes_reports_its_errors_once() {
    let text = r#"allow_origins = ["https://a.example"]
[profiles.bad]
allow_origins = ["https://bad.example/"]
[proxy]
[[proxy.routes]]
prefix = "/a"
upstream = "http://localhost:1"
profile = "bad"
[[proxy.routes]]
prefix = "/b"
upstream = "http://localhost:2"
profile = "bad"
"#;
    let err = load_text(text, &Flags::default()).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
}

#[test]
fn shape_policy_and_proxy_errors_come_together() {
    let text = "allow_origins = [\"https://a.example\"]\nmax_age = \"600\"\n[proxy]\nlisten = 8787\nupstrem = \"http://localhost:1\"\n";
    let s = load_text(text, &Flags::default()).unwrap_err().to_string();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 3, "{s}");
    assert!(lines[0].starts_with("error: corsair.toml:2:11: max_age must be a whole number, not a string"), "{s}");
    assert!(
        lines[1].starts_with("error: corsair.toml:4:10: proxy.listen must be a string in quotes, not a whole number"),
        "{s}"
    );
    assert!(lines[2].starts_with("error: corsair.toml:5:1: unknown key `proxy.upstrem`"), "{s}");
    // And once the shape is right, the policy's and the [proxy] table's values together.
    let text = "allow_origins = [\"https://a.example/\"]\n[proxy]\nlisten = \"everywhere\"\nupstream = \"http://localhost:1\"\n";
    let err = load_text(text, &Flags::default()).unwrap_err();
    assert_eq!(err.len(), 2, "{err}");
}

/// The keys serde reads, from its own error for a key it does not know.
pub(super) fn serde_keys<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
    let message = toml::from_str::<T>("zzz = 1").unwrap_err().message().to_owned();
    let (_, expected) = message.split_once("expected one of").expect(&message);
    let mut keys: Vec<String> = expected.split(',').map(|k| k.trim().trim_matches('`').to_owned()).collect();
    keys.sort();
    keys
}

#[test]
fn the_shape_check_knows_exactly_the_keys_serde_reads() {
    let names = |keys: &[Key]| {
        let mut v: Vec<String> = keys.iter().map(|k| k.name.to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(names(PROXY_KEYS), serde_keys::<ProxyTable>());
    assert_eq!(names(ROUTE_KEYS), serde_keys::<RouteTable>());
    assert_eq!(names(STORE_KEYS), serde_keys::<StoreTable>());
    // The first column of the help's key lines: `  tls_cert, tls_key      PEM files...`.
    let documented: Vec<&str> = PROXY_KEYS_HELP
        .lines()
        .filter_map(|l| l.strip_prefix("  ").filter(|l| !l.starts_with(' ')))
        .flat_map(|l| l.split("  ").next().unwrap_or_default().split(", "))
        .collect();
    assert_eq!(names(PROXY_KEYS), {
        let mut d: Vec<String> = documented.iter().map(|d| d.to_string()).collect();
        d.sort();
        d
    });
}

#[test]
fn the_gateways_variables_are_known_and_misspellings_are_not() {
    let (errors, warnings) =
        check_variables(["CORSAIR_LISTEN", "CORSAIR_UPSTREAM", "CORSAIR_UPSTRAEM", "CORSAIR_ALLOW_ORIGINS"]);
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(errors.to_string().contains("did you mean CORSAIR_UPSTREAM?"), "{errors}");
    assert!(warnings.is_empty());
}

#[test]
fn check_file_does_not_ask_for_what_flags_may_give() {
    let source = Source {
        name: "c.toml".into(),
        text: "allow_origins = [\"https://a.example\"]\n[proxy]\nlisten = \"127.0.0.1:1\"\n".into(),
        dir: PathBuf::new(),
    };
    assert!(check_file(&source, None, |_| None).is_ok());
    assert!(load(&source, &Flags::default(), |_| None).is_err(), "running it needs an upstream");
    let bad = Source { text: source.text.replace("127.0.0.1:1", "nowhere"), ..source };
    assert!(check_file(&bad, None, |_| None).unwrap_err().to_string().contains("c.toml:3:10: proxy.listen"));
}

#[test]
fn open_mode_needs_targets_and_refuses_credentials_and_any_origin() {
    let text = "allow_origins = [\"https://app.example.com\"]\n[proxy]\nmode = \"open\"\n";
    let s = load_text(text, &Flags::default()).unwrap_err().to_string();
    assert!(s.contains("allow_targets"), "{s}");

    let flags = Flags {
        open: true,
        allow_targets: vec!["api.example.com".into()],
        allow_origins: vec!["https://app.example.com".into()],
        allow_credentials: true,
        ..Flags::default()
    };
    let s = load(&Source::dev(), &flags, |_| None).unwrap_err().to_string();
    assert!(s.contains("forwards no cookies"), "{s}");

    let flags = Flags { allow_credentials: false, allow_origins: vec!["*".into()], ..flags };
    let s = load(&Source::dev(), &flags, |_| None).unwrap_err().to_string();
    assert!(s.contains("open relay"), "{s}");
}

#[test]
fn open_mode_turns_the_egress_guard_on() {
    let text = r#"allow_origins = ["https://app.example.com"]
refusal = "omit-headers"
[proxy]
mode = "open"
allow_targets = ["api.example.com", "*.example.org:8443"]
rate_per_client = "60/minute"
egress_allow = ["10.1.0.0/16"]
"#;
    let c = load_text(text, &Flags::default()).unwrap();
    assert!(c.egress.is_some());
    let Mode::Open(open) = &c.mode else { panic!("gateway mode") };
    assert!(
        matches!(open.policy.refusal(), corsair_core::RefusalStyle::RejectAll(_)),
        "unlisted origins are refused before the forwarder, whatever the file says"
    );
    assert_eq!(open.targets.len(), 2);
    assert!(open.per_client.is_some());
    assert!(open.per_origin.is_none());
}

#[test]
fn tls_needs_both_files_relative_to_the_config() {
    let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n";
    let c = load_text(text, &Flags::default()).unwrap();
    assert_eq!(c.tls.unwrap().cert, PathBuf::from("/etc/corsair/cert.pem"));
    let half = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\ntls_cert = \"cert.pem\"\n";
    assert!(load_text(half, &Flags::default()).unwrap_err().to_string().contains("both"));
}

#[test]
fn target_patterns() {
    let exact = TargetPattern::parse("API.example.com").unwrap();
    assert!(exact.matches("api.example.com", 443));
    assert!(!exact.matches("x.api.example.com", 443));
    let sub = TargetPattern::parse("*.example.com:8443").unwrap();
    assert!(sub.matches("a.b.example.com", 8443));
    assert!(!sub.matches("example.com", 8443));
    assert!(!sub.matches("a.example.com", 443));
    assert!(!sub.matches("evilexample.com", 8443));
    assert_eq!(sub.to_string(), "*.example.com:8443");
    assert!(TargetPattern::parse("https://api.example.com").unwrap_err().contains("host name"));
    assert!(TargetPattern::parse("api.*.com").is_err());
    assert!(TargetPattern::parse("api.example.com:99999").is_err());
}

#[test]
fn upstream_urls() {
    let u = parse_upstream("http://localhost:8080").unwrap();
    assert_eq!((u.scheme.as_str(), u.authority.as_str(), u.base_path.as_str()), ("http", "localhost:8080", ""));
    assert!(parse_upstream("localhost:8080").unwrap_err().contains("no scheme"));
    assert!(parse_upstream("http://user:pw@localhost").unwrap_err().contains("credentials"));
    assert!(parse_upstream("http://localhost/?a=1").unwrap_err().contains("query"));
}

#[test]
fn flags_layer_over_the_environment_by_type_and_unreadable_variables_come_once() {
    let text = r#"allow_origins = ["https://a.example"]
[profiles.admin]
allow_origins = ["https://admin.example"]
[proxy]
upstream = "http://localhost:1"
[[proxy.routes]]
prefix = "/admin"
upstream = "http://localhost:2"
profile = "admin"
"#;
    let source = Source { name: "c.toml".into(), text: text.into(), dir: PathBuf::new() };
    let env = |k: &str| match k {
        "CORSAIR_MAX_AGE" => Some("60".to_owned()),
        "CORSAIR_ALLOW_CREDENTIALS" => Some("yes".to_owned()),
        _ => None,
    };
    // Two policies (the top level and `admin`), one error for the variable.
    let err = load(&source, &Flags::default(), env).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert_eq!(
        err.to_string(),
        "error: environment variable CORSAIR_ALLOW_CREDENTIALS: `yes` is not a boolean; write true or false"
    );
    // The flag wins over the variable of the same key, and errors name the flag.
    let env = |k: &str| (k == "CORSAIR_MAX_AGE").then(|| "60".to_owned());
    let c = load(&source, &Flags { max_age: Some(120), ..Flags::default() }, env).unwrap();
    assert!(routes(&c).iter().all(|r| r.policy.max_age() == Some(120)));
    let c = load(&source, &Flags::default(), env).unwrap();
    assert!(routes(&c).iter().all(|r| r.policy.max_age() == Some(60)));
    let s = load(&source, &Flags { max_age: Some(100_000), ..Flags::default() }, env).unwrap_err().to_string();
    assert!(s.starts_with("error: flag --max-age: max_age = 100000 is out of range"), "{s}");
    // Flags of a list key may hold commas, like the variable.
    let flags = Flags { allow_origins: vec!["https://b.example, https://c.example".into()], ..Flags::default() };
    assert_eq!(routes(&load(&source, &flags, |_| None).unwrap())[0].policy.origins().len(), 2);
}
