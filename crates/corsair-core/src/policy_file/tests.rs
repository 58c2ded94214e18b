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
    assert!(matches!(errs[0].error, ConfigError::Syntax { .. }));
    assert!(text.contains("(dev, prod)") && text.contains("--profile NAME or CORSAIR_PROFILE"), "{text}");
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
    assert!(text.contains("unknown field") && text.contains("allow_origin"), "{text}");
    assert!(text.contains("corsair policy check --help"), "{text}");
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
        text.contains("lists are written in brackets, e.g. allow_origins = [\"https://app.example.com\"]"),
        "{text}"
    );
    assert_eq!(at(&errs[0]), (1, 17));
}

#[test]
fn a_string_where_a_boolean_belongs_is_a_located_type_error() {
    let errs = parse_errors("allow_origins = [\"https://a.example\"]\nallow_credentials = \"yes\"\n");
    assert!(matches!(errs[0].error, ConfigError::Syntax { .. }));
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
