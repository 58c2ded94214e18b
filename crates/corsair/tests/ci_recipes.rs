//! docs/ci.md's workflows: each YAML block parses (PyYAML), and each `corsair` command line in
//! their `run` steps is accepted by the real binary's argument parser (run with `--help`
//! appended, which clap honours only after every flag and value before it parsed). Nothing is
//! sent anywhere: the URLs in the recipes are not contacted.

use std::path::Path;
use std::process::Command;

const CORSAIR: &str = env!("CARGO_BIN_EXE_corsair");

/// Prints, as JSON, the argv of every `corsair` command in the `run` steps of every YAML block
/// of the Markdown file, and how many workflows there were. Exit 3 without PyYAML.
const EXTRACT: &str = r#"
import json, re, shlex, sys
try:
    import yaml
except ImportError:
    sys.exit(3)
text = open(sys.argv[1]).read()
blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
commands = []
for block in blocks:
    doc = yaml.safe_load(block)
    # YAML 1.1 (PyYAML) reads the key `on` as true.
    assert "jobs" in doc and ("on" in doc or True in doc), f"not a workflow: {block[:60]}"
    for job in doc["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "").replace("\\\n", " ")
            for line in script.splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0] == "corsair":
                    # Only the command itself: not `|| status=$?`, `> corsair.sarif`, pipes.
                    for i, w in enumerate(words):
                        if w in ("||", "&&", "|", ">", ">>", "2>"):
                            words = words[:i]
                            break
                    commands.append(words[1:])
print(json.dumps({"workflows": len(blocks), "commands": commands}))
"#;

#[test]
fn every_corsair_command_in_the_ci_recipes_parses() {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ci.md");
    let out = Command::new("python3").arg("-c").arg(EXTRACT).arg(&doc).output().expect("run python3");
    if out.status.code() == Some(3) {
        let what = "PyYAML (python3 -m pip install kubernetes-validate==1.37.0 brings it)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{what} is not installed, and CI=true: .ci/run installs it");
        }
        eprintln!("SKIPPED: {what} is not installed");
        return;
    }
    assert!(out.status.success(), "docs/ci.md: {}", String::from_utf8_lossy(&out.stderr));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["workflows"], 3, "{found}");
    let commands: Vec<Vec<String>> = serde_json::from_value(found["commands"].clone()).unwrap();
    let subcommands: Vec<&str> = commands.iter().map(|c| c[0].as_str()).collect();
    for sub in ["policy", "proxy", "check", "audit"] {
        assert!(subcommands.contains(&sub), "no `corsair {sub}` in the recipes: {commands:?}");
    }
    for args in &commands {
        let out = Command::new(CORSAIR).args(args).arg("--help").output().unwrap();
        assert!(
            out.status.success(),
            "docs/ci.md: `corsair {}` does not parse:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The parse is real: a misspelt flag in the same position is refused.
    let out =
        Command::new(CORSAIR).args(["audit", "https://a.example", "--fail-on", "severe", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
