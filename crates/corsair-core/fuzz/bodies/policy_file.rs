// Fuzz body: policy files, on arbitrary text.
// Included by `fuzz_targets/policy_file.rs` and by `tests/fuzz_smoke.rs`.

use corsair_core::PolicyFile;

/// Parses `data` as a policy file, builds its top level and each profile, and checks that every
/// policy it builds round-trips through `to_toml`, and that errors point inside the file.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.split('\n').count();
    let check_locations = |errors: corsair_core::ConfigErrors| {
        let _ = errors.to_string();
        for e in &errors {
            if let Some(loc) = &e.location {
                assert!(loc.line <= lines, "line {} of a {lines}-line file", loc.line);
            }
        }
    };
    let file = match PolicyFile::parse("fuzz.toml", text) {
        Ok(f) => f,
        Err(errors) => return check_locations(errors),
    };
    let mut profiles: Vec<Option<String>> = vec![None];
    profiles.extend(file.profiles().into_iter().take(4).map(Some));
    for profile in profiles {
        match file.policy(profile.as_deref(), |_| None) {
            Ok(policy) => {
                let written = policy.to_toml();
                let again = PolicyFile::parse("again.toml", &written)
                    .and_then(|f| f.policy(None, |_| None))
                    .unwrap_or_else(|e| panic!("to_toml wrote a file that does not build: {e}\n{written}"));
                assert_eq!(again.to_toml(), written);
                let _ = policy.warnings();
            }
            Err(errors) => check_locations(errors),
        }
    }
}
