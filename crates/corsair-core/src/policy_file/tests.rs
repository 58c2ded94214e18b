use super::*;
use crate::config_error::{Field, Located};
use crate::policy::RefusalStyle;
use http::StatusCode;

fn no_env(_: &str) -> Option<String> {
    None
}

/// An environment holding exactly these variables.
fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| vars.iter().find(|(name, _)| *name == k).map(|(_, v)| (*v).to_owned())
}

fn file(text: &str) -> PolicyFile {
    PolicyFile::parse("cors.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn build(text: &str) -> Policy {
    file(text).policy(None, no_env).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_errors(text: &str) -> Vec<Located> {
    PolicyFile::parse("cors.toml", text).expect_err("the file should not parse").into_iter().collect()
}

fn policy_errors(text: &str, profile: Option<&str>, vars: &[(&str, &str)]) -> Vec<Located> {
    file(text).policy(profile, env(vars)).expect_err("the policy should not build").into_iter().collect()
}

fn at(l: &Located) -> (usize, usize) {
    let loc = l.location.as_ref().expect("a location");
    (loc.line, loc.column)
}

const PROFILES: &str = r#"
allow_methods = ["PUT"]
max_age = 60

[profiles.prod]
allow_origins = ["https://app.example.com"]
allow_credentials = true

[profiles.dev]
allow_origins = ["http://localhost:*"]
allow_methods = ["PUT", "DELETE"]
max_age = 5
"#;

// Profiles -------------------------------------------------------------------------------------

#[test]
fn top_level_keys_alone_make_a_policy() {
    let p = build("allow_origins = [\"https://a.example\"]\nallow_methods = [\"PUT\"]\n");
    assert_eq!(p.origins()[0].to_string(), "https://a.example");
}

#[test]
fn the_same_keys_as_the_builder() {
    let p = build(
        r#"
allow_origins = ["https://a.example"]
allow_methods = ["PUT"]
allow_headers = ["X-Id"]
expose_headers = ["ETag"]
allow_credentials = true
max_age = 600
allow_private_network = true
forward_preflights = true
refusal = "reject-all"
refusal_status = 404
preflight_status = 200
"#,
    );
    let same = Policy::builder()
        .allow_origin("https://a.example")
        .allow_methods(["PUT"])
        .allow_headers(["x-id"])
        .expose_headers(["etag"])
        .allow_credentials(true)
        .max_age(600)
        .allow_private_network(true)
        .forward_preflights(true)
        .refusal(RefusalStyle::RejectAll(StatusCode::NOT_FOUND))
        .preflight_status(200)
        .build()
        .unwrap();
    assert_eq!(p.to_toml(), same.to_toml());
}

#[test]
fn profiles_are_listed_sorted() {
    assert_eq!(file(PROFILES).profiles(), ["dev", "prod"]);
    assert!(file("allow_origins = [\"https://a.example\"]").profiles().is_empty());
}

#[test]
fn a_profile_overrides_the_top_level_key_by_key() {
    let prod = file(PROFILES).policy(Some("prod"), no_env).unwrap();
    assert!(prod.allows_credentials());
    let t = prod.to_toml();
    assert!(t.contains("allow_methods = [\"PUT\"]\n"), "base key kept: {t}");
    assert!(t.contains("max_age = 60\n"), "base key kept: {t}");
}

#[test]
fn a_profile_list_replaces_the_top_level_list() {
    let dev = file(PROFILES).policy(Some("dev"), no_env).unwrap();
    let t = dev.to_toml();
    assert!(t.contains("allow_methods = [\"PUT\", \"DELETE\"]\n"), "{t}");
    assert!(t.contains("max_age = 5\n"), "{t}");
    assert!(!dev.allows_credentials(), "prod's key does not leak into dev");
}

#[test]
fn corsair_profile_selects_a_profile() {
    let p = file(PROFILES).policy(None, env(&[("CORSAIR_PROFILE", "prod")])).unwrap();
    assert!(p.allows_credentials());
}

#[test]
fn the_profile_argument_wins_over_corsair_profile() {
    let p = file(PROFILES).policy(Some("dev"), env(&[("CORSAIR_PROFILE", "prod")])).unwrap();
    assert!(!p.allows_credentials());
}

#[test]
fn an_empty_corsair_profile_selects_nothing() {
    let text = "allow_origins = [\"https://a.example\"]\n[profiles.x]\nallow_credentials = true\n";
    let p = file(text).policy(None, env(&[("CORSAIR_PROFILE", "")])).unwrap();
    assert!(!p.allows_credentials());
}

#[test]
fn an_unknown_profile_lists_the_available_ones() {
    let errs = policy_errors(PROFILES, Some("staging"), &[]);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].error,
        ConfigError::UnknownProfile { name: "staging".into(), available: vec!["dev".into(), "prod".into()] }
    );
    let text = errs[0].to_string();
    assert!(text.contains("choose one of: dev, prod"), "{text}");
    assert_eq!(errs[0].location.as_ref().unwrap().source, "cors.toml");
}

#[test]
fn an_unknown_profile_from_the_environment_is_reported_too() {
    let errs = policy_errors(PROFILES, None, &[("CORSAIR_PROFILE", "qa")]);
    assert!(matches!(&errs[0].error, ConfigError::UnknownProfile { name, .. } if name == "qa"));
}

#[test]
fn asking_for_a_profile_in_a_file_without_profiles_says_so() {
    let errs = policy_errors("allow_origins = [\"https://a.example\"]", Some("prod"), &[]);
    assert_eq!(errs[0].error, ConfigError::UnknownProfile { name: "prod".into(), available: vec![] });
    assert!(errs[0].to_string().contains("defines no [profiles.NAME] tables"), "{}", errs[0]);
}

#[test]
fn profiles_without_a_selection_or_top_level_origins_is_an_error() {
    let errs = policy_errors(PROFILES, None, &[]);
    assert_eq!(errs.len(), 1);
    let text = errs[0].to_string();
    assert_eq!(errs[0].error, ConfigError::ProfileNeeded { available: vec!["dev".into(), "prod".into()] });
    assert!(text.ends_with("defines profiles (dev, prod) and no top-level allow_origins; choose one"), "{text}");
    assert!(!text.contains("--") && !text.contains("CORSAIR_"), "no advice for a flag the caller may not have: {text}");
}

#[test]
fn profiles_without_a_selection_use_the_top_level_when_it_has_origins() {
    let text = "allow_origins = [\"https://a.example\"]\n[profiles.prod]\nallow_credentials = true\n";
    assert!(!file(text).policy(None, no_env).unwrap().allows_credentials());
}

#[test]
fn profiles_without_a_selection_accept_origins_from_the_environment() {
    let p = file(PROFILES).policy(None, env(&[("CORSAIR_ALLOW_ORIGINS", "https://a.example")])).unwrap();
    assert_eq!(p.origins().len(), 1);
}

#[test]
fn nested_profiles_are_refused_where_they_are() {
    let text = "allow_origins = [\"https://a.example\"]\n[profiles.prod]\nmax_age = 5\n[profiles.prod.profiles.inner]\nmax_age = 6\n";
    let errs = parse_errors(text);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].to_string().contains("profile `prod` has its own profiles; profiles do not nest"), "{}", errs[0]);
    assert!(at(&errs[0]).0 >= 2, "{:?}", errs[0].location);
}

// Environment overrides ------------------------------------------------------------------------

const BASE: &str = "allow_origins = [\"https://file.example\"]\nallow_methods = [\"PUT\"]\n";

fn with_env(vars: &[(&str, &str)]) -> Policy {
    file(BASE).policy(None, env(vars)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn env_allow_origins_replaces_the_list_and_trims_items() {
    let p = with_env(&[("CORSAIR_ALLOW_ORIGINS", " https://a.example ,https://b.example,, ")]);
    let shown: Vec<String> = p.origins().iter().map(|o| o.to_string()).collect();
    assert_eq!(shown, ["https://a.example", "https://b.example"]);
}

#[test]
fn env_allow_methods_replaces_the_list() {
    assert!(with_env(&[("CORSAIR_ALLOW_METHODS", "DELETE, PATCH")])
        .to_toml()
        .contains("allow_methods = [\"DELETE\", \"PATCH\"]\n"));
}

#[test]
fn env_allow_headers_replaces_the_list() {
    assert!(with_env(&[("CORSAIR_ALLOW_HEADERS", "X-B,x-a")])
        .to_toml()
        .contains("allow_headers = [\"x-a\", \"x-b\"]\n"));
}

#[test]
fn env_expose_headers_replaces_the_list() {
    assert!(with_env(&[("CORSAIR_EXPOSE_HEADERS", "ETag")]).to_toml().contains("expose_headers = [\"etag\"]\n"));
}

#[test]
fn env_booleans_accept_true_false_1_and_0() {
    assert!(with_env(&[("CORSAIR_ALLOW_CREDENTIALS", "true")]).allows_credentials());
    assert!(with_env(&[("CORSAIR_ALLOW_CREDENTIALS", " 1 ")]).allows_credentials());
    let on = file("allow_origins = [\"https://a.example\"]\nallow_credentials = true\n");
    assert!(!on.policy(None, env(&[("CORSAIR_ALLOW_CREDENTIALS", "false")])).unwrap().allows_credentials());
    assert!(!on.policy(None, env(&[("CORSAIR_ALLOW_CREDENTIALS", "0")])).unwrap().allows_credentials());
}

#[test]
fn env_allow_private_network_and_forward_preflights() {
    let t = with_env(&[("CORSAIR_ALLOW_PRIVATE_NETWORK", "true"), ("CORSAIR_FORWARD_PREFLIGHTS", "1")]).to_toml();
    assert!(t.contains("allow_private_network = true\n") && t.contains("forward_preflights = true\n"), "{t}");
}

#[test]
fn env_dangerously_allow_null() {
    let p = with_env(&[("CORSAIR_ALLOW_ORIGINS", "null"), ("CORSAIR_DANGEROUSLY_ALLOW_NULL", "true")]);
    assert!(p.origins()[0].is_null());
}

#[test]
fn env_dangerously_allow_insecure_origins() {
    let p = with_env(&[
        ("CORSAIR_ALLOW_ORIGINS", "http://intranet.example"),
        ("CORSAIR_ALLOW_CREDENTIALS", "true"),
        ("CORSAIR_DANGEROUSLY_ALLOW_INSECURE_ORIGINS", "true"),
    ]);
    assert!(p.allows_credentials());
}

#[test]
fn env_numbers_override_the_file() {
    let p = with_env(&[
        ("CORSAIR_MAX_AGE", "120"),
        ("CORSAIR_REFUSAL_STATUS", "404"),
        ("CORSAIR_PREFLIGHT_STATUS", " 200 "),
    ]);
    assert!(p.to_toml().contains("max_age = 120\n"));
    assert_eq!(p.refusal(), RefusalStyle::RejectPreflight(StatusCode::NOT_FOUND));
    assert_eq!(p.preflight_status(), StatusCode::OK);
}

#[test]
fn env_refusal_overrides_the_style() {
    assert_eq!(with_env(&[("CORSAIR_REFUSAL", "omit-headers")]).refusal(), RefusalStyle::OmitHeaders);
    assert_eq!(
        with_env(&[("CORSAIR_REFUSAL", " reject-all ")]).refusal(),
        RefusalStyle::RejectAll(StatusCode::FORBIDDEN)
    );
}

#[test]
fn env_overrides_win_over_the_selected_profile() {
    let p = file(PROFILES).policy(Some("prod"), env(&[("CORSAIR_ALLOW_CREDENTIALS", "false")])).unwrap();
    assert!(!p.allows_credentials());
}

#[test]
fn env_boolean_that_is_not_a_boolean_is_invalid_environment() {
    for var in [
        "CORSAIR_ALLOW_CREDENTIALS",
        "CORSAIR_ALLOW_PRIVATE_NETWORK",
        "CORSAIR_FORWARD_PREFLIGHTS",
        "CORSAIR_DANGEROUSLY_ALLOW_NULL",
        "CORSAIR_DANGEROUSLY_ALLOW_INSECURE_ORIGINS",
    ] {
        let errs = policy_errors(BASE, None, &[(var, "yes")]);
        assert_eq!(errs.len(), 1, "{var}");
        match &errs[0].error {
            ConfigError::InvalidEnvironment { variable, message } => {
                assert_eq!(variable, var);
                assert!(message.contains("`yes` is not a boolean; write true or false"), "{message}");
            }
            other => panic!("{var}: {other:?}"),
        }
        assert_eq!(errs[0].location.as_ref().unwrap().source, format!("environment variable {var}"));
    }
}

#[test]
fn env_number_that_is_not_a_number_is_invalid_environment() {
    for var in ["CORSAIR_MAX_AGE", "CORSAIR_REFUSAL_STATUS", "CORSAIR_PREFLIGHT_STATUS"] {
        let errs = policy_errors(BASE, None, &[(var, "10s")]);
        assert_eq!(errs.len(), 1, "{var}");
        assert!(
            matches!(&errs[0].error, ConfigError::InvalidEnvironment { variable, message } if variable == var && message.contains("not a whole number")),
            "{:?}",
            errs[0]
        );
    }
}

#[test]
fn every_bad_variable_is_reported_at_once() {
    let errs = policy_errors(BASE, None, &[("CORSAIR_MAX_AGE", "x"), ("CORSAIR_ALLOW_CREDENTIALS", "maybe")]);
    assert_eq!(errs.len(), 2);
}

#[test]
fn env_values_the_policy_refuses_are_located_at_the_variable() {
    let errs = policy_errors(
        BASE,
        None,
        &[("CORSAIR_ALLOW_ORIGINS", "https://a.example, https://b.example/"), ("CORSAIR_MAX_AGE", "-5")],
    );
    assert_eq!(errs.len(), 2);
    assert!(matches!(errs[0].error, ConfigError::InvalidOrigin { index: 1, .. }));
    assert_eq!(errs[0].location.as_ref().unwrap().to_string(), "environment variable CORSAIR_ALLOW_ORIGINS");
    assert_eq!(errs[1].error, ConfigError::MaxAgeOutOfRange { value: -5 });
    assert_eq!(errs[1].location.as_ref().unwrap().to_string(), "environment variable CORSAIR_MAX_AGE");
}

#[test]
fn an_empty_origin_list_from_the_environment_has_no_origins() {
    let errs = policy_errors(BASE, None, &[("CORSAIR_ALLOW_ORIGINS", " , ")]);
    assert_eq!(errs[0].error, ConfigError::NoOrigins);
}

// Syntax errors and locations ------------------------------------------------------------------

#[test]
fn an_unknown_key_is_located_at_the_key() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\nallow_origin = [\"https://b.example\"]\n");
    assert_eq!(errs.len(), 1);
    assert_eq!(at(&errs[0]), (2, 1));
    let text = errs[0].to_string();
    assert!(text.contains("unknown key `allow_origin`; did you mean `allow_origins`?"), "{text}");
    assert!(matches!(&errs[0].error, ConfigError::UnknownKey { suggestion: Some(s), .. } if s == "allow_origins"));
    assert!(!text.contains("--help"), "the library names no command; the CLI adds its help: {text}");
    assert!(matches!(&errs[0].error, ConfigError::UnknownKey { proxy: false, .. }));
}

#[test]
fn an_unknown_key_inside_a_profile_is_located_there() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\n\n[profiles.dev]\n  max_ages = 5\n");
    assert_eq!(at(&errs[0]), (4, 3));
}

#[test]
fn a_string_where_a_list_belongs_gets_the_bracket_hint() {
    let errs = parse_errors("allow_origins = \"https://a.example\"\n");
    let text = errs[0].to_string();
    assert!(
        text.contains("allow_origins must be a list of strings, not a string; lists are written in brackets, e.g. allow_origins = [\"https://a.example\"]"),
        "{text}"
    );
    assert_eq!(at(&errs[0]), (1, 17));
}

#[test]
fn a_string_where_a_boolean_belongs_is_a_located_type_error() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\nallow_credentials = \"yes\"\n");
    assert!(matches!(errs[0].error, ConfigError::WrongType { expected: "true or false", found: "a string", .. }));
    assert_eq!(at(&errs[0]), (2, 21));
}

#[test]
fn invalid_toml_is_a_located_syntax_error() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"\nmax_age = 5\n");
    assert!(matches!(errs[0].error, ConfigError::Syntax { .. }));
    assert!(errs[0].location.as_ref().unwrap().line >= 1);
    assert!(errs[0].to_string().starts_with("cors.toml:"), "{}", errs[0]);
}

#[test]
fn an_entry_deep_in_a_list_is_located_at_its_line_and_column() {
    let text = r#"# CORS for the API
max_age = 600
allow_origins = [
    "https://a.example",
    "https://b.example",
    "https://c.example",
    "https://d.example",
        "https://e.example/",
    "https://f.example",
]
"#;
    let errs = file(text).policy(None, no_env).unwrap_err();
    let errs: Vec<_> = errs.into_iter().collect();
    assert_eq!(errs.len(), 1);
    assert!(matches!(errs[0].error, ConfigError::InvalidOrigin { index: 4, .. }));
    assert_eq!(at(&errs[0]), (8, 9));
    assert!(errs[0].to_string().starts_with("cors.toml:8:9: "), "{}", errs[0]);
}

#[test]
fn errors_in_a_profile_list_point_into_the_profile() {
    let text = "allow_methods = [\"PUT\"]\n[profiles.prod]\nallow_origins = [\"https://a.example\", \"*\"]\nallow_credentials = true\n";
    let errs = policy_errors(text, Some("prod"), &[]);
    assert_eq!(errs[0].error, ConfigError::WildcardWithCredentials { index: 1 });
    assert_eq!(at(&errs[0]), (3, 39));
}

#[test]
fn errors_about_a_key_point_at_its_value() {
    let text =
        "allow_origins = [\"https://a.example\"]\nmax_age = 100000\npreflight_status = 302\nrefusal = \"nope\"\n";
    let errs = policy_errors(text, None, &[]);
    let located: Vec<_> = errs.iter().map(|e| (e.error.field(), at(e))).collect();
    assert_eq!(located, [(Field::MaxAge, (2, 11)), (Field::PreflightStatus, (3, 20)), (Field::Refusal, (4, 11))]);
}

#[test]
fn every_error_in_a_file_is_located() {
    let text = "allow_origins = [\"null\", \"https://A.example\"]\nallow_methods = [\"TRACE\"]\nallow_headers = [\"cookie\"]\nexpose_headers = [\"set-cookie\"]\n";
    let errs = policy_errors(text, None, &[]);
    let lines: Vec<_> = errs.iter().map(|e| at(e).0).collect();
    assert_eq!(lines, [1, 1, 2, 3, 4]);
}

#[test]
fn no_origins_points_at_the_file() {
    let errs = policy_errors("allow_methods = [\"PUT\"]\n", None, &[]);
    assert_eq!(errs[0].error, ConfigError::NoOrigins);
    assert_eq!(errs[0].location.as_ref().unwrap().to_string(), "cors.toml");
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "# café ☕\nallow_origins = [\"https://bücher.example\", \"https://x.example/\"]\n";
    let errs = policy_errors(text, None, &[]);
    assert_eq!(at(&errs[0]), (2, 44), "the ü is one column, though two bytes");
}

#[test]
fn crlf_files_are_located_by_line() {
    let text = "max_age = 1\r\nallow_origins = [\r\n  \"https://a.example/\"]\r\n";
    let errs = policy_errors(text, None, &[]);
    assert_eq!(at(&errs[0]), (3, 3));
}

#[test]
fn a_file_over_the_limit_is_refused_before_parsing() {
    let text = "#".repeat(MAX_POLICY_FILE_LEN + 1);
    let errs = parse_errors(&text);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].to_string().contains(&format!("policy files are at most {MAX_POLICY_FILE_LEN}")), "{}", errs[0]);
    assert_eq!(at(&errs[0]), (1, 1));
}

#[test]
fn a_file_at_the_limit_is_read() {
    let mut text = "allow_origins = [\"https://a.example\"]\n".to_owned();
    text.push_str(&"#".repeat(MAX_POLICY_FILE_LEN - text.len()));
    assert!(PolicyFile::parse("cors.toml", &text).is_ok());
}

#[test]
fn an_empty_file_has_no_origins() {
    let errs = policy_errors("", None, &[]);
    assert_eq!(errs[0].error, ConfigError::NoOrigins);
}

// Names from the file reach terminals: control characters are escaped --------------------------

const ESCAPE_PROFILE: &str =
    "allow_methods = [\"PUT\"]\n[profiles.\"\\u001b[2Jwipe\"]\nallow_origins = [\"https://a.example\"]\n";

#[test]
fn unknown_profile_errors_escape_the_available_names() {
    let errs = policy_errors(ESCAPE_PROFILE, Some("prod"), &[]);
    let text = errs[0].to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("\\u{1b}[2Jwipe"), "{text}");
}

#[test]
fn profile_selection_errors_escape_the_profile_names() {
    let text = policy_errors(ESCAPE_PROFILE, None, &[])[0].to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[test]
fn nested_profile_errors_escape_the_profile_name() {
    let text = "[profiles.\"\\u001b]0;x\\u0007\"]\n[profiles.\"\\u001b]0;x\\u0007\".profiles.b]\n";
    let errs = parse_errors(text);
    let shown = errs[0].to_string();
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{shown:?}");
}

#[test]
fn syntax_errors_escape_what_the_file_contains() {
    let errs = parse_errors("\"x\\u001b[31m\" = 1\n");
    let shown = errs[0].to_string();
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
}

// The shape of the file: every unknown key and wrong kind at once, in the file's words -----------

#[test]
fn every_unknown_key_and_wrong_kind_is_reported_at_once_in_file_order() {
    let text = "allow_origins = [\"https://a.example\", 5]\nmax_age = \"600\"\nallow_origin = [\"x\"]\n\n[profiles.dev]\nallow_credentials = \"yes\"\nmax_ages = 1.5\nrefusal = 403\n";
    let errs = parse_errors(text);
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "cors.toml:1:39: allow_origins must be a string in quotes (each entry of the list), not a whole number",
            "cors.toml:2:11: max_age must be a whole number, not a string; write it without quotes: max_age = 600",
            "cors.toml:3:1: unknown key `allow_origin`; did you mean `allow_origins`?",
            "cors.toml:6:21: profiles.dev.allow_credentials must be true or false, not a string; write allow_credentials = true or allow_credentials = false",
            "cors.toml:7:1: unknown key `profiles.dev.max_ages`; did you mean `max_age`?",
            "cors.toml:8:11: profiles.dev.refusal must be a string in quotes, not a whole number; put it in quotes: refusal = \"403\"",
        ]
    );
}

#[test]
fn type_errors_speak_the_files_language_not_rusts() {
    let texts = [
        "allow_origins = \"https://a.example\"\n",
        "allow_origins = [\"https://a.example\"]\nmax_age = 1.5\n",
        "allow_origins = [\"https://a.example\"]\nmax_age = \"ten\"\n",
        "allow_origins = [\"https://a.example\"]\nrefusal_status = true\n",
        "allow_origins = [\"https://a.example\"]\nprofiles = 1\n",
        "allow_origins = [\"https://a.example\"]\nmax_age = 10m\n",
        "allow_origins = [\"https://a.example\"]\nmax_age = 1.5.\n",
    ];
    for text in texts {
        let shown = parse_errors(text)[0].to_string();
        for rust in ["i64", "invalid type", "sequence", "float", "literal", "expected nothing", "bool"] {
            assert!(!shown.contains(rust), "{rust:?} in {shown}");
        }
        assert!(
            shown.contains("whole number")
                || shown.contains("list")
                || shown.contains("table")
                || shown.contains("quotes"),
            "{shown}"
        );
    }
}

#[test]
fn syntax_errors_say_what_to_write() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\nmax_age = 10m\n");
    assert_eq!(errs.len(), 1);
    assert_eq!(at(&errs[0]), (2, 11));
    assert!(errs[0].to_string().contains("`10m` is not a value: text goes in quotes (\"10m\")"), "{}", errs[0]);
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\n[proxy]\nlisten = 127.0.0.1:8787\n");
    assert_eq!(at(&errs[0]), (3, 10), "located at the start of the value, not inside it");
    assert!(errs[0].to_string().contains("`127.0.0.1:8787` is not a number"), "{}", errs[0]);
}

#[test]
fn every_syntax_error_is_reported_at_once() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\nmax_age = 10m\nrefusal = reject-all\n");
    let lines: Vec<_> = errs.iter().map(|e| at(e).0).collect();
    assert_eq!(lines, [2, 3]);
}

/// A shell's `[proxy]` table, as the gateway's is read: its keys for the shape check, serde
/// for the values.
#[derive(Debug, serde::Deserialize)]
struct Proxy {
    listen: Option<String>,
    #[allow(dead_code)]
    max_connections: Option<i64>,
    #[allow(dead_code)]
    routes: Option<Vec<BTreeMap<String, String>>>,
}

impl ProxySection for Proxy {
    const KEYS: Option<&'static [Key]> = Some(PROXY_KEYS);
}

const PROXY_KEYS: &[Key] = &[
    Key::new("listen", Kind::String),
    Key::new("max_connections", Kind::Integer),
    Key::new("routes", Kind::Tables(&[Key::new("prefix", Kind::String)])),
];

#[test]
fn proxy_tables_are_checked_with_the_readers_keys_alongside_the_policy() {
    let text = "allow_origin = [\"https://a.example\"]\n[proxy]\nlistn = \"127.0.0.1:1\"\nmax_connections = \"5\"\n[[proxy.routes]]\nprefx = \"/a\"\n[profiles.p.proxy]\nlisten = 8787\n";
    assert!(PolicyFile::parse("cors.toml", text).is_err(), "the policy's own error");
    let errs: Vec<_> = PolicyFile::<Proxy>::parse_with_proxy("cors.toml", text).unwrap_err().into_iter().collect();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 5, "{shown:#?}");
    assert!(shown[0].starts_with("cors.toml:1:1: unknown key `allow_origin`"), "{}", shown[0]);
    assert_eq!(shown[1], "cors.toml:3:1: unknown key `proxy.listn`; did you mean `listen`?");
    assert!(
        shown[2].starts_with("cors.toml:4:19: proxy.max_connections must be a whole number, not a string"),
        "{}",
        shown[2]
    );
    assert!(
        shown[3].starts_with("cors.toml:6:1: unknown key `proxy.routes.prefx`; did you mean `prefix`?"),
        "{}",
        shown[3]
    );
    assert!(
        shown[4].starts_with("cors.toml:8:10: profiles.p.proxy.listen must be a string in quotes, not a whole number"),
        "{}",
        shown[4]
    );
    // Without the reader's keys, [proxy] is not this reader's business.
    let ok = "allow_origins = [\"https://a.example\"]\n[proxy]\nanything = 1\n";
    assert!(PolicyFile::parse("cors.toml", ok).is_ok());
}

#[test]
fn the_proxy_table_is_read_in_the_same_pass_as_the_policy() {
    let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nlisten = \"127.0.0.1:1\"\n[profiles.p]\n[profiles.p.proxy]\nlisten = \"127.0.0.1:2\"\n";
    let file = PolicyFile::<Proxy>::parse_with_proxy("cors.toml", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.proxy().and_then(|p| p.listen.as_deref()), Some("127.0.0.1:1"));
    assert_eq!(file.profile_proxy("p").and_then(|p| p.listen.as_deref()), Some("127.0.0.1:2"));
    assert!(file.profile_proxy("q").is_none());
    assert!(file.policy(Some("p"), no_env).is_ok());
}

// Overrides say where they came from ------------------------------------------------------------

#[test]
fn an_override_from_a_flag_is_blamed_on_the_flag() {
    let overrides = Overrides {
        allow_origins: Some(Given::flag("--allow-origin", vec!["https://b.example/".to_owned()])),
        max_age: Some(Given::flag("--max-age", 100_000)),
        ..Overrides::default()
    };
    let errs: Vec<_> = file(BASE).policy_with(None, &overrides).unwrap_err().into_iter().collect();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0].starts_with("flag --allow-origin: `https://b.example/`"), "{}", shown[0]);
    assert!(shown[1].starts_with("flag --max-age: max_age = 100000"), "{}", shown[1]);
    assert!(shown.iter().all(|s| !s.contains("environment")), "{shown:?}");
}

#[test]
fn an_unreadable_override_and_the_files_own_errors_come_together() {
    let errs = policy_errors("allow_origins = [\"https://a.example/\"]\n", None, &[("CORSAIR_MAX_AGE", "ten")]);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(matches!(errs[0].error, ConfigError::InvalidEnvironment { .. }));
    assert!(matches!(errs[1].error, ConfigError::InvalidOrigin { .. }));
    assert_eq!(at(&errs[1]), (1, 18));
}

#[test]
fn an_override_that_drops_a_star_says_so() {
    let text = "allow_origins = [\"https://a.example\"]\nallow_headers = [\"*\", \"authorization\"]\n";
    let headers = |list: &str| Overrides {
        allow_headers: Some(Given::flag("--allow-headers", split_list(list))),
        ..Overrides::default()
    };
    let warnings = file(text).policy_with(None, &headers("x-api-key")).unwrap().warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "flag --allow-headers replaces allow_headers = [\"*\", \"authorization\"] (cors.toml:2:17), which has `*`"
        ),
        "{}",
        warnings[0]
    );
    let keeps = headers("*,authorization,x-api-key");
    assert!(file(text).policy_with(None, &keeps).unwrap().warnings().is_empty(), "a list with `*` drops nothing");
    assert!(file(text).policy(None, no_env).unwrap().warnings().is_empty(), "no override, no note");
}

// Misspelt CORSAIR_* variables ------------------------------------------------------------------

#[test]
fn misspelt_variables_are_errors_and_other_corsair_names_warnings() {
    let names =
        ["PATH", "CORSAIR_ALLOW_ORIGINS", "CORSAIR_ALLOW_ORIGIN", "corsair_max_age", "CORSAIR_LISTN", "CORSAIR_BIN"];
    let (errors, warnings) = check_variables(names, &["CORSAIR_LISTEN"]);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "environment variable CORSAIR_ALLOW_ORIGIN: `CORSAIR_ALLOW_ORIGIN` is not a variable corsair reads, so it does nothing; did you mean CORSAIR_ALLOW_ORIGINS?",
            "environment variable corsair_max_age: `corsair_max_age` is not a variable corsair reads, so it does nothing; did you mean CORSAIR_MAX_AGE?",
            "environment variable CORSAIR_LISTN: `CORSAIR_LISTN` is not a variable corsair reads, so it does nothing; did you mean CORSAIR_LISTEN?",
        ]
    );
    assert_eq!(warnings, ["environment variable CORSAIR_BIN is not one corsair reads; it is ignored"]);
}

#[test]
fn unknown_keys_come_with_syntax_errors() {
    let text = "allow_origins = [\"https://a.example\"]\nallow_credential = true\nmax_age = 10m\n";
    let errs = parse_errors(text);
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].starts_with("cors.toml:2:1: unknown key `allow_credential`; did you mean `allow_credentials`?"),
        "{}",
        shown[0]
    );
    assert!(shown[1].starts_with("cors.toml:3:11: `10m` is not a value"), "{}", shown[1]);
}

#[test]
fn an_unclosed_list_is_one_error_not_the_parsers_recovery() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"\nmax_age = 5\n");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].to_string(), "cors.toml:2:11: a list is not closed: end it with `]`");
}

// to_toml round-trips through the policy-file parser -------------------------------------------

fn round_trip(b: PolicyBuilder) {
    let first = b.build().unwrap().to_toml();
    let file = PolicyFile::parse("policy.toml", &first).unwrap_or_else(|e| panic!("{e}\n{first}"));
    let second = file.policy(None, |_| None).unwrap_or_else(|e| panic!("{e}\n{first}")).to_toml();
    assert_eq!(first, second);
}

#[test]
fn minimal_policy_round_trips() {
    round_trip(app_policy());
}

#[test]
fn full_policy_round_trips() {
    round_trip(
        Policy::builder()
            .allow_origins(["https://app.example.com", "https://*.staging.example.com", "http://localhost:*"])
            .allow_methods(["PUT", "DELETE", "patch"])
            .allow_headers(["Content-Type", "authorization", "X-Request-Id"])
            .expose_headers(["ETag", "x-total"])
            .allow_credentials(true)
            .max_age(600)
            .allow_private_network(true)
            .forward_preflights(true)
            .preflight_status(200)
            .refusal(RefusalStyle::RejectAll(StatusCode::NOT_FOUND)),
    );
}

#[test]
fn wildcard_policy_round_trips() {
    round_trip(
        Policy::builder()
            .allow_origin("*")
            .allow_methods(["*"])
            .allow_headers(["*", "authorization"])
            .expose_headers(["*"]),
    );
}

#[test]
fn dangerous_flags_round_trip() {
    round_trip(
        Policy::builder()
            .allow_origins(["null", "http://intranet.example"])
            .dangerously_allow_null(true)
            .allow_credentials(true)
            .dangerously_allow_insecure_origins(true),
    );
}

#[test]
fn omit_headers_and_zero_max_age_round_trip() {
    round_trip(app_policy().refusal(RefusalStyle::OmitHeaders).max_age(0));
}

#[test]
fn idn_origin_round_trips_as_punycode() {
    round_trip(Policy::builder().allow_origin("https://*.bücher.example"));
}

fn app_policy() -> crate::PolicyBuilder {
    crate::Policy::builder().allow_origin("https://app.example.com")
}

/// The shape check and the JSON Schema (corsair-gateway) read [`TOP_KEYS`]; serde reads
/// [`PolicyTable`]: both know exactly the same keys, at the top and in a profile.
#[test]
fn the_shape_checks_keys_are_exactly_the_keys_serde_reads() {
    let message = toml::from_str::<PolicyTable<IgnoredAny>>("zzz = 1").unwrap_err().message().to_owned();
    let (_, expected) = message.split_once("expected one of").expect(&message);
    let mut read: Vec<&str> = expected.split(',').map(|k| k.trim().trim_matches('`')).collect();
    read.sort_unstable();
    let names = |keys: &[Key]| {
        let mut v: Vec<&str> = keys.iter().map(|k| k.name).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(names(TOP_KEYS), read);
    assert_eq!(names(PROFILE_KEYS), read);
}
