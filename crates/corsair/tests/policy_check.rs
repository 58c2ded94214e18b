//! `corsair policy check`, run as a user runs it: the real binary, real files, real exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// What one run of the binary produced.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs `corsair ARGS` with only the given `CORSAIR_*` variables set (inherited ones removed).
fn corsair(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corsair"));
    cmd.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CORSAIR_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the corsair binary runs");
    Run {
        status: out.status.code().expect("corsair exits normally, not by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A file under the system temp dir with a name no other test (or test run) uses.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: impl AsRef<[u8]>) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("corsair-policy-check-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8 here")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn check(contents: &str, extra: &[&str], env: &[(&str, &str)]) -> (TempFile, Run) {
    let file = TempFile::new("cors.toml", contents);
    let mut args = vec!["policy", "check", file.path()];
    args.extend_from_slice(extra);
    let run = corsair(&args, env);
    (file, run)
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name).to_str().unwrap().to_owned()
}

/// The one `error: ` line on stderr that starts with `error: FILE:LINE:COL: `.
fn error_at<'a>(run: &'a Run, file: &TempFile, line: usize, column: usize) -> &'a str {
    let prefix = format!("error: {}:{line}:{column}: ", file.path());
    let found: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert_eq!(found.len(), 1, "expected one error at {line}:{column}, stderr:\n{}", run.stderr);
    &found[0][prefix.len()..]
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", run.stdout))
}

const VALID: &str = r#"
allow_origins = ["https://bücher.example", "https://*.example.com", "https://bücher.example"]
allow_methods = ["PUT", "DELETE"]
allow_headers = ["X-Request-Id", "Content-Type", "x-request-id"]
allow_credentials = true
max_age = 600
"#;

#[test]
fn valid_file_prints_the_normalised_policy_and_exits_0() {
    let (file, run) = check(VALID, &[], &[]);
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some(format!("# corsair policy check: {}: ok", file.path()).as_str()));
    // IDN hosts in punycode, duplicates dropped; header names lower-cased and sorted; defaults
    // written out.
    assert!(run.stdout.contains("allow_origins = [\"https://xn--bcher-kva.example\", \"https://*.example.com\"]\n"));
    assert!(run.stdout.contains("allow_headers = [\"content-type\", \"x-request-id\"]\n"));
    assert!(run.stdout.contains("allow_credentials = true\nmax_age = 600\n"));
    assert!(run.stdout.contains("refusal = \"reject-preflight\"\nrefusal_status = 403\n"));
    assert_eq!(run.stderr, "");
}

#[test]
fn normalised_output_is_a_policy_file_that_checks_the_same() {
    let (_, first) = check(VALID, &[], &[]);
    assert_eq!(first.status, 0);
    let (_, second) = check(&first.stdout, &[], &[]);
    assert_eq!(second.status, 0, "stderr: {}", second.stderr);
    let body = |run: &Run| run.stdout.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&first), body(&second));
}

#[test]
fn trailing_slash_origin_is_located_and_says_what_to_write() {
    let (file, run) = check("allow_origins = [\"https://app.example.com/\"]\n", &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 1, 18);
    assert!(message.contains("trailing slash") && message.contains("write `https://app.example.com`"), "{message}");
    assert_eq!(run.stdout, "", "nothing on stdout when the policy has errors");
}

#[test]
fn wildcard_with_credentials_is_refused_at_the_star() {
    let (file, run) = check("allow_origins = [\"https://a.example.com\", \"*\"]\nallow_credentials = true\n", &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 1, 43);
    assert!(message.contains("list the origins, or set allow_credentials = false"), "{message}");
}

#[test]
fn lower_case_standard_method_is_refused_with_its_upper_case_spelling() {
    let text = "allow_origins = [\"https://a.example.com\"]\nallow_methods = [\"GET\", \"delete\"]\n";
    let (file, run) = check(text, &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 2, 25);
    assert!(message.contains("`delete` never matches") && message.contains("write `DELETE`"), "{message}");
}

#[test]
fn cookie_in_allow_headers_is_refused_as_a_header_scripts_cannot_set() {
    let text = "allow_origins = [\"https://a.example.com\"]\n\nallow_headers = [\"content-type\", \"cookie\"]\n";
    let (file, run) = check(text, &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 3, 34);
    assert!(message.contains("never let scripts set this header") && message.contains("remove it"), "{message}");
}

#[test]
fn max_age_over_a_day_is_refused_with_the_range() {
    let (file, run) = check("allow_origins = [\"https://a.example.com\"]\nmax_age = 100000\n", &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 2, 11);
    assert!(message.contains("from 0 to 86400"), "{message}");
}

#[test]
fn broken_example_reports_every_mistake_then_a_summary() {
    let path = example("broken-policy.toml");
    let run = corsair(&["policy", "check", &path], &[]);
    assert_eq!(run.status, 1);
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 5, "stderr:\n{}", run.stderr);
    for (error, at) in errors.iter().zip(["7:18", "7:46", "11:25", "14:34", "17:11"]) {
        assert!(error.starts_with(&format!("error: {path}:{at}: ")), "{error}");
    }
    assert_eq!(run.stderr.lines().last(), Some(format!("corsair: 5 errors in {path}").as_str()));
}

#[test]
fn example_policy_checks_ok_in_both_profiles() {
    let path = example("policy.toml");
    let prod = corsair(&["policy", "check", &path, "--profile", "prod"], &[]);
    assert_eq!(prod.status, 0, "stderr: {}", prod.stderr);
    assert!(prod.stdout.contains("allow_credentials = true\n"));
    let dev = corsair(&["policy", "check", &path, "--profile", "dev"], &[]);
    assert_eq!(dev.status, 0, "stderr: {}", dev.stderr);
    assert!(dev.stdout.contains("allow_origins = [\"http://localhost:*\", \"http://127.0.0.1:*\"]\n"));
}

const PROFILES: &str = r#"
allow_methods = ["PUT"]
[profiles.dev]
allow_origins = ["http://localhost:*"]
[profiles.prod]
allow_origins = ["https://app.example.com"]
allow_credentials = true
"#;

#[test]
fn unknown_profile_names_the_profiles_the_file_has() {
    let (file, run) = check(PROFILES, &["--profile", "staging"], &[]);
    assert_eq!(run.status, 1);
    let expected = format!("error: {}: no profile `staging` in this file; choose one of: dev, prod\n", file.path());
    assert!(run.stderr.starts_with(&expected), "stderr:\n{}", run.stderr);
    assert!(run.stderr.ends_with(&format!("corsair: 1 error in {}\n", file.path())));
}

#[test]
fn a_file_of_profiles_alone_says_how_to_choose_one() {
    let (file, run) = check(PROFILES, &[], &[]);
    assert_eq!(run.status, 1);
    let expected = format!(
        "error: {}: this file defines profiles (dev, prod) and no top-level allow_origins; choose one with --profile NAME or CORSAIR_PROFILE\n",
        file.path()
    );
    assert!(run.stderr.starts_with(&expected), "stderr:\n{}", run.stderr);
}

#[test]
fn profile_can_come_from_corsair_profile() {
    let (file, run) = check(PROFILES, &[], &[("CORSAIR_PROFILE", "dev")]);
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.starts_with(&format!("# corsair policy check: {} (profile dev): ok\n", file.path())));
    assert!(run.stdout.contains("allow_origins = [\"http://localhost:*\"]\n"));
}

#[test]
fn corsair_allow_origins_overrides_the_file_and_is_named() {
    let env = [("CORSAIR_ALLOW_ORIGINS", "https://a.example.com, https://b.example.com")];
    let (_, run) = check(PROFILES, &["--profile", "prod"], &env);
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("# environment overrides: CORSAIR_ALLOW_ORIGINS\n"), "{}", run.stdout);
    assert!(run.stdout.contains("allow_origins = [\"https://a.example.com\", \"https://b.example.com\"]\n"));
    assert!(!run.stdout.contains("app.example.com"));
}

#[test]
fn bad_override_is_blamed_on_the_environment_variable() {
    let (_, run) = check(PROFILES, &["--profile", "prod"], &[("CORSAIR_ALLOW_ORIGINS", "*")]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.starts_with("error: environment variable CORSAIR_ALLOW_ORIGINS: `*` with allow_credentials = true"),
        "stderr:\n{}",
        run.stderr
    );
}

#[test]
fn type_error_points_at_the_line_and_column_in_the_files_words() {
    let (file, run) = check("allow_origins = [\"https://a.example.com\"]\nmax_age = \"600\"\n", &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 2, 11);
    assert_eq!(message, "max_age must be a whole number, not a string; write it without quotes: max_age = 600");
}

#[test]
fn misspelt_key_is_located_and_points_to_the_help() {
    let (file, run) = check("allow_origins = [\"https://a.example.com\"]\nallow_header = [\"x-a\"]\n", &[], &[]);
    assert_eq!(run.status, 1);
    let message = error_at(&run, &file, 2, 1);
    assert!(
        message.contains("unknown key `allow_header`; did you mean `allow_headers`?") && message.contains("--help"),
        "{message}"
    );
    let help = corsair(&["policy", "check", "--help"], &[]);
    assert!(help.stdout.contains("allow_headers "), "the help lists the keys:\n{}", help.stdout);
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail_the_check() {
    let (_, run) = check("allow_origins = [\"https://a.example.com\"]\nmax_age = 86400\n", &[], &[]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("max_age = 86400\n"));
    assert!(
        run.stderr.starts_with("warning: max_age = 86400: Chromium caches preflights for at most 7200"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_file_is_an_io_error_with_exit_2() {
    let dir = TempFile::new("present.toml", "");
    let missing = dir.0.with_file_name("absent.toml");
    let missing = missing.to_str().unwrap();
    let run = corsair(&["policy", "check", missing], &[]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.starts_with(&format!("corsair: cannot read {missing}: ")), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn file_that_is_not_utf8_is_an_io_error_with_exit_2() {
    let file = TempFile::new("latin1.toml", b"allow_origins = [\"https://b\xfccher.example\"]\n");
    let run = corsair(&["policy", "check", file.path()], &[]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(corsair(&["policy", "check"], &[]).status, 2, "FILE is required");
    let path = example("policy.toml");
    assert_eq!(corsair(&["policy", "check", &path, "--format", "yaml"], &[]).status, 2);
    assert_eq!(corsair(&["polcy"], &[]).status, 2);
}

#[test]
fn help_documents_the_exit_status() {
    // `corsair --help` gives every command's statuses in general (tests/help.rs); policy's own
    // help gives its exact ones.
    for args in [&["policy", "--help"][..], &["policy", "check", "--help"][..]] {
        let run = corsair(args, &[]);
        assert_eq!(run.status, 0);
        for line in ["  0  ok", "  1  the policy has errors", "  2  usage error, or the file could not be read"] {
            assert!(run.stdout.contains(line), "{args:?} --help lacks {line:?}:\n{}", run.stdout);
        }
    }
}

#[test]
fn json_success_has_the_policy_and_no_errors() {
    let (file, run) = check(VALID, &["--format", "json"], &[]);
    assert_eq!(run.status, 0);
    let v = json(&run);
    assert_eq!(v["ok"], true);
    assert_eq!(v["file"], file.path());
    assert_eq!(v["profile"], Value::Null);
    assert_eq!(v["errors"], Value::Array(vec![]));
    assert_eq!(v["warnings"], Value::Array(vec![]));
    let policy = v["policy"].as_str().expect("policy is a string");
    assert!(policy.starts_with("allow_origins = [\"https://xn--bcher-kva.example\", \"https://*.example.com\"]\n"));
    assert_eq!(run.stderr, "", "json mode keeps stderr for I/O errors");
}

#[test]
fn json_errors_carry_file_line_column_and_message() {
    let path = example("broken-policy.toml");
    let run = corsair(&["policy", "check", &path, "--format", "json"], &[]);
    assert_eq!(run.status, 1);
    let v = json(&run);
    assert_eq!(v["ok"], false);
    assert_eq!(v["policy"], Value::Null);
    let errors = v["errors"].as_array().expect("errors is an array");
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0]["file"], path.as_str());
    assert_eq!((errors[0]["line"].as_u64(), errors[0]["column"].as_u64()), (Some(7), Some(18)));
    assert_eq!(errors[0]["key"], "allow_origins");
    assert_eq!(errors[2]["key"], "allow_methods");
    assert!(errors[2]["message"].as_str().unwrap().contains("write `DELETE`"));
}

#[test]
fn json_error_without_a_position_has_null_line_and_column() {
    let (_, run) = check(PROFILES, &["--profile", "prod", "--format", "json"], &[("CORSAIR_MAX_AGE", "ten")]);
    assert_eq!(run.status, 1);
    let v = json(&run);
    assert_eq!(v["overrides"], serde_json::json!(["CORSAIR_MAX_AGE"]));
    let error = &v["errors"][0];
    assert_eq!(error["file"], "environment variable CORSAIR_MAX_AGE");
    assert_eq!((&error["line"], &error["column"]), (&Value::Null, &Value::Null));
}

#[test]
fn json_escapes_quotes_and_control_characters_in_file_names() {
    let file = TempFile::new("we\"ird\\\tname.toml", "allow_origins = [\"https://a.example.com/\"]\n");
    let run = corsair(&["policy", "check", file.path(), "--format", "json"], &[]);
    assert_eq!(run.status, 1);
    let v = json(&run);
    assert_eq!(v["file"], file.path());
    assert_eq!(v["errors"][0]["file"], file.path());
}
