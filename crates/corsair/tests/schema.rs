//! `corsair policy schema` judged by a validator that is not ours: Python's `jsonschema`
//! (PyPI), on each file turned into JSON by Python's own TOML reader (`tomllib`). Every file
//! `corsair policy check` accepts must validate; broken files (unknown key, wrong kind, a value
//! outside the allowed ones) must be refused by both.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CORSAIR: &str = env!("CARGO_BIN_EXE_corsair");

/// Reads each TOML file with tomllib and validates it against the schema with jsonschema's
/// Draft 7 validator; one JSON line per file: {"file", "errors", "profiles"}. Exit 3 when
/// jsonschema is not installed.
const VALIDATE: &str = r#"
import json, sys, tomllib
try:
    import jsonschema
except ImportError:
    sys.exit(3)
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    profiles = sorted(doc.get("profiles", {})) if isinstance(doc.get("profiles"), dict) else []
    print(json.dumps({"file": path, "errors": errors, "profiles": profiles}))
"#;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The validator's verdict on each file, or None (after a SKIPPED line) when jsonschema is
/// missing outside CI.
fn validate(schema: &Path, files: &[PathBuf]) -> Option<Vec<Value>> {
    let out = Command::new("python3").arg("-c").arg(VALIDATE).arg(schema).args(files).output();
    let out = match out {
        Ok(out) if out.status.code() != Some(3) => out,
        _ => {
            let what = "python3 with jsonschema (python3 -m pip install jsonschema==4.26.0)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{what} is not installed, and CI=true: .ci/run installs it");
            }
            eprintln!("SKIPPED: {what} is not installed");
            return None;
        }
    };
    assert!(out.status.success(), "the validator failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines = String::from_utf8(out.stdout).unwrap();
    Some(lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect())
}

/// Whether `corsair policy check FILE [--profile P]` accepts the file, with no `CORSAIR_*`
/// variables from the test's environment.
fn policy_check(file: &Path, profile: Option<&str>) -> bool {
    let mut cmd = Command::new(CORSAIR);
    cmd.args(["policy", "check"]).arg(file);
    if let Some(p) = profile {
        cmd.args(["--profile", p]);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CORSAIR_") {
            cmd.env_remove(name);
        }
    }
    let out = cmd.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "policy check {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.success()
}

fn schema_file(dir: &Path) -> PathBuf {
    let out = Command::new(CORSAIR).args(["policy", "schema"]).output().unwrap();
    assert!(out.status.success());
    let path = dir.join("corsair.schema.json");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The config files in the repository: examples/ and deploy/ (the service files' policy).
fn repository_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["examples", "deploy", "deploy/kubernetes"] {
        let Ok(entries) = std::fs::read_dir(repo().join(dir)) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_file_policy_check_accepts_validates_against_the_schema() {
    let dir = temp_dir("schema-accepted");
    let schema = schema_file(&dir);
    let files = repository_files();
    assert!(files.len() >= 3, "examples and deploy hold config files: {files:?}");
    let Some(verdicts) = validate(&schema, &files) else { return };
    let mut accepted = 0;
    for (file, verdict) in files.iter().zip(&verdicts) {
        let profiles: Vec<&str> = verdict["profiles"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        // A file with profiles is good when every profile is (its top level alone need not be
        // a whole policy); a file without, on its own.
        let choices: Vec<Option<&str>> =
            if profiles.is_empty() { vec![None] } else { profiles.iter().map(|p| Some(*p)).collect() };
        if choices.iter().all(|p| policy_check(file, *p)) {
            accepted += 1;
            assert_eq!(
                verdict["errors"],
                Value::Array(vec![]),
                "policy check accepts {} (with {choices:?}); the schema must too",
                file.display()
            );
        }
    }
    assert!(accepted >= 2, "at least the example policy and the deploy policy are accepted");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Broken files, each with one mistake; `corsair policy check` and the schema must both refuse it.
const BROKEN: &[(&str, &str)] = &[
    ("unknown key", "allow_origin = [\"https://a.example\"]\n"),
    ("unknown key in a profile", "[profiles.prod]\nallow_origins = [\"https://a.example\"]\nmax_ag = 600\n"),
    ("unknown [proxy] key", "allow_origins = [\"https://a.example\"]\n[proxy]\nupstrem = \"http://127.0.0.1:1\"\n"),
    (
        "unknown route key",
        "allow_origins = [\"https://a.example\"]\n[[proxy.routes]]\nprefix = \"/a\"\nupstream = \"http://127.0.0.1:1\"\nstrip = true\n",
    ),
    ("wrong kind: a number in quotes", "allow_origins = [\"https://a.example\"]\nmax_age = \"600\"\n"),
    ("wrong kind: a string for a list", "allow_origins = \"https://a.example\"\n"),
    ("wrong kind: a number in a list", "allow_origins = [\"https://a.example\", 1]\n"),
    ("wrong kind: a string for a bool", "allow_origins = [\"https://a.example\"]\nallow_credentials = \"yes\"\n"),
    ("wrong kind in [proxy]", "allow_origins = [\"https://a.example\"]\n[proxy]\nlisten = 8787\n"),
    ("bad enum value", "allow_origins = [\"https://a.example\"]\nrefusal = \"reject\"\n"),
    ("bad enum value in [proxy]", "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"closed\"\n"),
    ("bad enum value in a profile's [proxy]", "allow_origins = [\"https://a.example\"]\n[profiles.p.proxy]\nforwarded = \"yes\"\n"),
    ("out of range", "allow_origins = [\"https://a.example\"]\nmax_age = 100000\n"),
    ("out of range in [proxy]", "allow_origins = [\"https://a.example\"]\n[proxy]\nconnect_timeout_secs = 0\n"),
    ("nested profiles", "allow_origins = [\"https://a.example\"]\n[profiles.a.profiles.b]\nmax_age = 1\n"),
];

#[test]
fn broken_files_are_refused_by_policy_check_and_by_the_schema() {
    let dir = temp_dir("schema-broken");
    let schema = schema_file(&dir);
    let files: Vec<PathBuf> = BROKEN
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            let path = dir.join(format!("broken-{i}.toml"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    for ((what, text), file) in BROKEN.iter().zip(&files) {
        // The profile the mistake is in, if any: `policy check` reads the profile it is asked for.
        let profile = ["prod", "p"].into_iter().find(|p| text.contains(&format!("[profiles.{p}")));
        assert!(!policy_check(file, profile), "policy check accepts {what} (profile {profile:?}):\n{text}");
    }
    let Some(verdicts) = validate(&schema, &files) else { return };
    for ((what, text), verdict) in BROKEN.iter().zip(&verdicts) {
        assert_ne!(verdict["errors"], Value::Array(vec![]), "the schema accepts {what}:\n{text}");
    }
    // The same files, fixed, pass both: the refusals above are about the mistakes.
    let fixed = dir.join("fixed.toml");
    std::fs::write(
        &fixed,
        "allow_origins = [\"https://a.example\"]\nrefusal = \"reject-all\"\nmax_age = 600\n[proxy]\nmode = \"gateway\"\nforwarded = \"append\"\nconnect_timeout_secs = 1\n[[proxy.routes]]\nprefix = \"/a\"\nupstream = \"http://127.0.0.1:1\"\nstrip_prefix = true\n[profiles.prod]\nmax_age = 7200\n",
    )
    .unwrap();
    assert!(policy_check(&fixed, None) && policy_check(&fixed, Some("prod")));
    let verdict = &validate(&schema, &[fixed]).unwrap()[0];
    assert_eq!(verdict["errors"], Value::Array(vec![]), "{verdict}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_checked_in_schema_is_the_one_corsair_prints() {
    let printed = Command::new(CORSAIR).args(["policy", "schema"]).output().unwrap().stdout;
    let checked_in = std::fs::read(repo().join("docs/corsair.schema.json")).unwrap();
    assert!(
        printed == checked_in,
        "docs/corsair.schema.json is stale: run `corsair policy schema > docs/corsair.schema.json`"
    );
}
