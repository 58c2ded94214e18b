//! `corsair_tower::load_policy`: a real file on disk to a policy in one call, or an error that
//! says where. Environment overrides are exercised by the core's tests; the process environment
//! is not touched here, so these tests can run in parallel with others.

use std::path::PathBuf;

use corsair_tower::{load_policy, LoadError};

fn file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-tower-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn a_file_with_profiles_loads_the_one_asked_for() {
    let path = file(
        "profiles.toml",
        b"[profiles.dev]\nallow_origins = [\"http://localhost:*\"]\n\n\
          [profiles.prod]\nallow_origins = [\"https://app.example.com\"]\nallow_methods = [\"PUT\"]\n",
    );
    let prod = load_policy(&path, Some("prod")).unwrap();
    assert!(prod.to_toml().contains("https://app.example.com"), "{}", prod.to_toml());
    let dev = load_policy(&path, Some("dev")).unwrap();
    assert!(dev.to_toml().contains("http://localhost:*"), "{}", dev.to_toml());
}

#[test]
fn errors_name_the_file_line_and_column() {
    let path = file("broken.toml", b"allow_origins = [\"https://app.example.com\"]\nallow_credential = true\n");
    let e = load_policy(&path, None).unwrap_err();
    assert!(matches!(e, LoadError::Invalid(_)), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(&format!("{}:2:1", path.display())) && text.contains("allow_credentials"), "{text}");
}

#[test]
fn unreadable_files_say_why_and_never_panic() {
    let missing = std::env::temp_dir().join("corsair-tower-load-no-such-file.toml");
    let e = load_policy(&missing, None).unwrap_err();
    assert!(matches!(e, LoadError::Read { .. }) && e.to_string().contains("no-such-file"), "{e}");

    let latin1 = file("latin1.toml", b"allow_origins = [\"https://caf\xe9.example\"]\n");
    let e = load_policy(&latin1, None).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");

    let huge = file("huge.toml", &vec![b'#'; corsair_core::policy_file::MAX_POLICY_FILE_LEN + 1]);
    let e = load_policy(&huge, None).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");

    let dir = std::env::temp_dir();
    assert!(matches!(load_policy(&dir, None), Err(LoadError::Read { .. })));
}
