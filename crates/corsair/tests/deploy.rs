//! The service files in deploy/, judged by the tools that read them where those run here:
//! `systemd-analyze verify` and `security --offline` for the unit, `kubernetes-validate
//! --strict` (bundled API schemas, no cluster) for the manifests. Docker cannot run here: the
//! Dockerfile is checked for its structure, and each file's command line and configuration
//! go through `corsair proxy --check` in the real binary. That the proxy reloads on SIGHUP
//! (the unit's ExecReload) is tests/proxy.rs `sighup_reloads_and_a_broken_file_keeps_the_old_policy`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CORSAIR: &str = env!("CARGO_BIN_EXE_corsair");
/// Where the unit, the image and the manifests put the config file.
const INSTALLED_CONFIG: &str = "/etc/corsair/corsair.toml";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tool this test needs is not installed: on CI (`CI=true`, where `.ci/run` installs it) a
/// failure; elsewhere a loud SKIPPED line.
fn have(program: &str, probe: &[&str], install: &str) -> bool {
    let found = Command::new(program).args(probe).output().is_ok_and(|o| o.status.success());
    if !found {
        let what = format!("`{program} {}` does not run: not installed ({install})", probe.join(" "));
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{what}, and CI=true: .ci/run installs it");
        }
        eprintln!("SKIPPED: {what}");
    }
    found
}

/// `corsair ARGS` as a service file runs it, with the installed config path pointing at
/// deploy/corsair.toml and `--check` added: the configuration the file would start with.
fn proxy_check(args: &[String], env: &[(&str, &str)]) -> Output {
    let config = repo().join("deploy/corsair.toml");
    let mut args: Vec<String> =
        args.iter().map(|a| if a == INSTALLED_CONFIG { config.display().to_string() } else { a.clone() }).collect();
    assert_eq!(args.first().map(String::as_str), Some("proxy"), "the service runs corsair proxy: {args:?}");
    args.push("--check".into());
    let mut cmd = Command::new(CORSAIR);
    cmd.args(&args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CORSAIR_") {
            cmd.env_remove(name);
        }
    }
    let out = cmd.envs(env.iter().copied()).output().unwrap();
    assert!(out.status.success(), "corsair {args:?} --check: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The unit, its binary path pointed at the test's binary (verify wants it to exist), in `dir`.
fn unit_in(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let unit = read("deploy/systemd/corsair.service").replace("/usr/local/bin/corsair", CORSAIR);
    let path = dir.join("corsair.service");
    std::fs::write(&path, edit(unit)).unwrap();
    path
}

/// `systemd-analyze verify`, with the man pages `corsair man` writes on MANPATH so the unit's
/// Documentation=man:corsair-proxy(1) is checked too. Its complaints are on stderr.
fn verify(unit: &Path, manpath: &Path) -> String {
    let out = Command::new("systemd-analyze").arg("verify").arg(unit).env("MANPATH", manpath).output().unwrap();
    let mut complaints = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        complaints.push_str(&format!("\n(exit status {})", out.status));
    }
    complaints
}

#[test]
fn the_systemd_unit_verifies_is_sandboxed_and_starts_a_valid_configuration() {
    let unit_text = read("deploy/systemd/corsair.service");
    for directive in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(unit_text.contains(directive), "the unit lacks {directive:?}");
    }
    // The command lines it runs, with the configuration it ships.
    let profile = unit_text.lines().find_map(|l| l.strip_prefix("Environment=CORSAIR_PROFILE=")).unwrap();
    for key in ["ExecStartPre=", "ExecStart="] {
        let line = unit_text.lines().find_map(|l| l.strip_prefix(key)).unwrap();
        let words: Vec<String> =
            line.split_whitespace().skip(1).filter(|w| *w != "--check").map(str::to_owned).collect();
        proxy_check(&words, &[("CORSAIR_PROFILE", profile)]);
    }

    if !have("systemd-analyze", &["--version"], "apt-get install -y systemd") {
        return;
    }
    let dir = temp_dir("systemd");
    let man = dir.join("man");
    let out = Command::new(CORSAIR).args(["man", "--out"]).arg(man.join("man1")).output().unwrap();
    assert!(out.status.success());

    let complaints = verify(&unit_in(&dir, |u| u), &man);
    assert!(complaints.trim().is_empty(), "systemd-analyze verify:\n{complaints}");
    // The same verify notices a mistake, so its silence above means something.
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    let complaints = verify(&unit_in(&broken, |u| u.replace("ProtectSystem=strict", "ProtectSystem=strictly")), &man);
    assert!(complaints.contains("ProtectSystem") || complaints.contains("protect system"), "{complaints}");

    // systemd's own exposure score, 0 (locked down) to 10; the unit scores 1.1 ("OK").
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=15", "--no-pager"])
        .arg(unit_in(&dir, |u| u))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exposure above 1.5:\n{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("Overall exposure level for corsair.service"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The instructions of a Dockerfile, continuation lines joined, comments dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let joined = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    joined
        .replace("\\\n", " ")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (op, rest) = l.trim().split_once(' ').unwrap_or((l.trim(), ""));
            (op.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

/// A JSON-form (exec form) instruction's words.
fn exec_form(rest: &str) -> Vec<String> {
    serde_json::from_str(rest).unwrap_or_else(|e| panic!("not exec form ({e}): {rest}"))
}

#[test]
fn the_dockerfile_builds_in_one_stage_and_runs_non_root_in_another() {
    let text = read("deploy/docker/Dockerfile");
    let steps = instructions(&text);
    let froms: Vec<usize> = steps.iter().enumerate().filter(|(_, (op, _))| op == "FROM").map(|(i, _)| i).collect();
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage: {steps:?}");
    assert!(steps[froms[0]].1.ends_with(" AS build"), "{:?}", steps[froms[0]]);
    assert!(steps[0..froms[1]].iter().any(|(op, rest)| op == "RUN" && rest.contains("--locked")));
    let runtime = &steps[froms[1]..];
    assert!(!runtime.iter().any(|(op, _)| op == "RUN" || op == "ADD"), "the runtime stage only copies: {runtime:?}");
    let user = runtime.iter().rev().find(|(op, _)| op == "USER").map(|(_, u)| u.as_str()).expect("a USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "a numeric non-root user (Kubernetes' runAsNonRoot needs it): {user}"
    );
    for (op, rest) in runtime.iter().filter(|(op, _)| op == "COPY") {
        if !rest.starts_with("--from=") {
            let source = rest.split_whitespace().next().unwrap();
            assert!(repo().join(source).exists(), "{op} {rest}: {source} is not in the repository");
        }
    }
    let entrypoint = exec_form(&runtime.iter().find(|(op, _)| op == "ENTRYPOINT").unwrap().1);
    assert_eq!(entrypoint, ["/usr/local/bin/corsair"]);
    let cmd = exec_form(&runtime.iter().find(|(op, _)| op == "CMD").unwrap().1);
    let profile =
        runtime.iter().find_map(|(op, rest)| (op == "ENV").then(|| rest.strip_prefix("CORSAIR_PROFILE="))).flatten();
    proxy_check(&cmd, &[("CORSAIR_PROFILE", profile.expect("ENV CORSAIR_PROFILE=..."))]);
}

/// The manifests as JSON, read by Python's YAML reader (PyYAML, which kubernetes-validate
/// depends on).
fn manifests(path: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("python3")
        .args(["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// kubernetes-validate through the same python3 as the other Python-driven tests (its script
/// may not be on PATH where pip put it).
fn kubernetes_validate(file: &Path, version: &str) -> Output {
    Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict", "--no-warn", "-k", version])
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn the_kubernetes_manifests_validate_and_run_the_shipped_configuration() {
    if !have(
        "python3",
        &["-m", "kubernetes_validate", "--version"],
        "python3 -m pip install kubernetes-validate==1.37.0",
    ) {
        return;
    }
    let file = repo().join("deploy/kubernetes/corsair.yaml");
    // The oldest Kubernetes still in wide use and the newest the validator knows.
    for version in ["1.30.0", "1.37.0"] {
        let out = kubernetes_validate(&file, version);
        assert!(
            out.status.success(),
            "kubernetes-validate --strict -k {version}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A misspelt field is refused, so the validation above is strict.
    let dir = temp_dir("kubernetes");
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, read("deploy/kubernetes/corsair.yaml").replace("readinessProbe", "readinesProbe")).unwrap();
    assert!(!kubernetes_validate(&broken, "1.37.0").status.success(), "a misspelt field passes");

    let docs = manifests(&file);
    let kind = |k: &str| docs.iter().find(|d| d["kind"] == k).unwrap_or_else(|| panic!("no {k}"));
    for k in ["ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"] {
        kind(k);
    }
    assert_eq!(
        kind("ConfigMap")["data"]["corsair.toml"].as_str().unwrap(),
        read("deploy/corsair.toml"),
        "the ConfigMap holds deploy/corsair.toml as it is"
    );
    let pod = &kind("Deployment")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(container["securityContext"]["allowPrivilegeEscalation"], false);
    assert!(container["resources"]["requests"]["cpu"].is_string(), "the HPA scales on CPU requests");
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/.corsair/healthz", "{probe}");
    }
    assert_eq!(
        kind("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"],
        kind("Deployment")["metadata"]["name"]
    );
    // The container's command line and environment start a valid configuration.
    let args: Vec<String> = serde_json::from_value(container["args"].clone()).unwrap();
    let env: Vec<(String, String)> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e["value"].as_str().unwrap().to_owned()))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    proxy_check(&args, &env);
    let _ = std::fs::remove_dir_all(&dir);
}
