//! `corsair completions` and `corsair man`, judged by the programs that read them: the bash
//! script is loaded into a real bash and asked to complete, the pages go through man-db's
//! `man -l` and groff with every warning on.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const CORSAIR: &str = env!("CARGO_BIN_EXE_corsair");

/// The subcommands `corsair --help` lists, which every script must know.
const SUBCOMMANDS: &[&str] = &["check", "audit", "explain", "policy", "proxy", "snippet", "completions", "man"];

fn corsair(args: &[&str]) -> Output {
    let out = Command::new(CORSAIR).args(args).output().expect("run corsair");
    assert!(out.status.success(), "corsair {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A tool this test needs is not installed: on CI (`CI=true`, where `.ci/run` installs it) a
/// failure; elsewhere a loud SKIPPED line. Returns whether the tool is there.
fn have(tool: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{tool} is not installed, and CI=true: .ci/run installs it (apt-get install -y {package})");
        }
        eprintln!("SKIPPED: {tool} is not installed (apt-get install -y {package})");
    }
    found
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What bash's programmable completion offers for the words of `line` (the cursor at its end),
/// with corsair's script loaded from a file in a bash without rc files.
fn bash_complete(script: &Path, line: &str) -> Vec<String> {
    let program = r#"set -u
source "$1"
complete -p corsair >/dev/null || { echo "no completion registered for corsair" >&2; exit 3; }
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
prev=""
(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
_corsair corsair "${COMP_WORDS[COMP_CWORD]}" "$prev"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", program, "bash"])
        .arg(script)
        .arg(line)
        .output()
        .expect("run bash");
    assert!(out.status.success(), "bash completion of {line:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    if !have("bash", "bash") {
        return;
    }
    let dir = temp_dir("bash-completion");
    let script = dir.join("corsair.bash");
    std::fs::write(&script, corsair(&["completions", "bash"]).stdout).unwrap();

    let offered = bash_complete(&script, "corsair pro");
    assert!(offered.contains(&"proxy".to_owned()), "`corsair pro<TAB>` offers {offered:?}");
    assert!(!offered.contains(&"check".to_owned()), "`corsair pro<TAB>` offers {offered:?}");

    let offered = bash_complete(&script, "corsair ");
    for sub in SUBCOMMANDS {
        assert!(offered.contains(&(*sub).to_owned()), "`corsair <TAB>` lacks {sub}: {offered:?}");
    }

    let offered = bash_complete(&script, "corsair policy ch");
    assert_eq!(offered, ["check"], "nested subcommands complete");

    let offered = bash_complete(&script, "corsair proxy --upst");
    assert!(offered.contains(&"--upstream".to_owned()), "`corsair proxy --upst<TAB>` offers {offered:?}");

    let offered = bash_complete(&script, "corsair completions ");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(offered.contains(&shell.to_owned()), "`corsair completions <TAB>` lacks {shell}: {offered:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = String::from_utf8(corsair(&["completions", shell]).stdout).unwrap();
        assert!(script.len() > 500, "{shell}: a script of {} bytes", script.len());
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} script does not name `{sub}`");
        }
    }
    // zsh and fish are not installed by .ci/run (the scripts are clap_complete's, not ours);
    // where they are, the scripts must at least parse.
    for (shell, check) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"][..])] {
        let present = Command::new(shell).arg("--version").output().is_ok_and(|o| o.status.success());
        if !present {
            eprintln!("note: {shell} is not installed; its script is checked for content only");
            continue;
        }
        let dir = temp_dir(&format!("{shell}-completion"));
        let file = dir.join("corsair-completion");
        std::fs::write(&file, corsair(&["completions", shell]).stdout).unwrap();
        let out = Command::new(shell).args(check).arg(&file).output().unwrap();
        assert!(out.status.success(), "{shell} cannot parse its script: {}", String::from_utf8_lossy(&out.stderr));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = Command::new(CORSAIR).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"), "the error lists the shells");
}

/// groff's own warnings (every category) on one page; empty when the page is clean.
fn groff_warnings(page: &Path) -> String {
    let out = Command::new("groff").args(["-man", "-Tutf8", "-w", "all", "-z"]).arg(page).output().unwrap();
    assert!(out.status.success(), "groff failed on {}", page.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn man_pages_render_without_warnings_one_per_command() {
    let dir = temp_dir("man");
    let out = corsair(&["man", "--out", dir.to_str().unwrap()]);
    let listed = String::from_utf8(out.stderr).unwrap();
    let mut pages: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    pages.sort();
    assert_eq!(listed.lines().count(), pages.len(), "stderr lists every file written: {listed}");

    // Every page the main page refers to exists, and so does one per subcommand.
    let main = std::fs::read_to_string(dir.join("corsair.1")).unwrap();
    let referred: Vec<String> = main
        .lines()
        .filter_map(|l| l.strip_suffix("(1)"))
        .map(|name| format!("{}.1", name.replace("\\-", "-")))
        .collect();
    assert!(referred.len() >= SUBCOMMANDS.len(), "the main page lists the subcommands: {referred:?}");
    for page in &referred {
        assert!(pages.contains(page), "corsair.1 refers to {page}, which was not written: {pages:?}");
    }
    for page in ["corsair-policy-check.1", "corsair-proxy.1", "corsair-completions.1", "corsair-man.1"] {
        assert!(pages.contains(&page.to_owned()), "{page} missing from {pages:?}");
    }
    let stdout_page = String::from_utf8(corsair(&["man"]).stdout).unwrap();
    assert_eq!(stdout_page, main, "`corsair man` prints the main page");

    if have("groff", "groff-base") {
        for page in &pages {
            let warnings = groff_warnings(&dir.join(page));
            assert!(warnings.is_empty(), "groff -w all warns about {page}:\n{warnings}");
        }
    }
    if have("man", "man-db") {
        for page in &pages {
            let out = Command::new("man")
                .args(["--warnings=all", "-l"])
                .arg(dir.join(page))
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && stderr.is_empty(), "man -l {page}:\n{stderr}");
            assert!(text.contains("NAME") && text.contains("SYNOPSIS"), "man -l {page} rendered:\n{text}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
