//! Configuration that tells the truth, through the real binary: what the dev profile allows,
//! which flag or variable an error comes from, every error at once in the file's words,
//! `corsair proxy --check`, and one exit status for one kind of failure across commands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corsair_gateway::config::{PROXY_KEYS, PROXY_KEYS_HELP};

/// What one run of the binary produced.
struct Run {
    status: i32,
    stderr: String,
}

/// `corsair ARGS` with exactly the given `CORSAIR_*` variables (inherited ones removed).
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corsair"));
    cmd.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().to_ascii_uppercase().starts_with("CORSAIR_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    cmd
}

fn corsair(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = command(args, env).output().expect("the corsair binary runs");
    Run {
        status: out.status.code().expect("corsair exits normally"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A file in a directory of its own under the system temp dir.
fn temp_file(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("corsair-config-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn error_lines(run: &Run) -> Vec<&str> {
    run.stderr.lines().filter(|l| l.starts_with("error: ")).collect()
}

/// A `corsair proxy` started on an ephemeral loopback port.
struct Proxy {
    child: Child,
    addr: SocketAddr,
}

impl Proxy {
    fn start(args: &[&str]) -> Proxy {
        let mut child = command(&["proxy"], &[])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("corsair runs");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("a banner line").unwrap();
            if let Some(rest) = line.strip_prefix("corsair proxy listening on http://") {
                break rest.parse().unwrap();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Proxy { child, addr }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a preflight from `origin` asking for `headers`; the response head, lower-cased.
fn preflight(addr: SocketAddr, origin: &str, headers: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "OPTIONS /items HTTP/1.1\r\nhost: {addr}\r\norigin: {origin}\r\naccess-control-request-method: GET\r\naccess-control-request-headers: {headers}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.to_lowercase()
}

// 1. The dev profile ------------------------------------------------------------------------------

#[test]
fn the_dev_profile_lets_a_page_send_authorization() {
    let proxy = Proxy::start(&["--upstream", "http://127.0.0.1:1", "--listen", "127.0.0.1:0"]);
    let head = preflight(proxy.addr, "http://localhost:5173", "authorization,x-anything");
    assert!(head.starts_with("http/1.1 204"), "{head}");
    assert!(head.contains("access-control-allow-origin: http://localhost:5173"), "{head}");
    let allowed = head.lines().find(|l| l.starts_with("access-control-allow-headers:")).unwrap_or_default();
    assert!(allowed.contains("authorization"), "{head}");
}

#[test]
fn a_headers_flag_that_drops_the_star_says_so() {
    let run = corsair(&["proxy", "--check", "--upstream", "http://127.0.0.1:1", "--allow-headers", "x-api-key"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: flag --allow-headers replaces allow_headers = [\"*\", \"authorization\"] ((embedded dev profile):4:17), which has `*`: only the request headers it lists"),
        "{}",
        run.stderr
    );
    let run = corsair(
        &["proxy", "--check", "--upstream", "http://127.0.0.1:1", "--allow-headers", "*,authorization,x-api-key"],
        &[],
    );
    assert!(!run.stderr.contains("warning"), "keeping `*` drops nothing: {}", run.stderr);
}

// 2. Errors name the flag --------------------------------------------------------------------------

#[test]
fn errors_from_flags_name_the_flag() {
    let run = corsair(
        &[
            "proxy",
            "--upstream",
            "http://127.0.0.1:1",
            "--allow-origin",
            "https://a.example/",
            "--listen",
            "nowhere",
            "--max-age",
            "100000",
        ],
        &[],
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("CORSAIR_"), "no variable was set: {}", run.stderr);
    let errors = error_lines(&run);
    assert_eq!(errors.len(), 3, "{}", run.stderr);
    assert!(run.stderr.ends_with("corsair: 3 errors in the configuration\n"), "{}", run.stderr);
    assert!(errors.iter().any(|l| l.starts_with("error: flag --allow-origin: `https://a.example/`")), "{errors:?}");
    assert!(errors.iter().any(|l| l.starts_with("error: flag --listen: proxy.listen: `nowhere`")), "{errors:?}");
    assert!(errors.iter().any(|l| l.starts_with("error: flag --max-age: max_age = 100000")), "{errors:?}");

    let run =
        corsair(&["proxy", "--upstream", "http://127.0.0.1:1"], &[("CORSAIR_ALLOW_ORIGINS", "https://a.example/")]);
    assert!(
        run.stderr.starts_with("error: environment variable CORSAIR_ALLOW_ORIGINS: `https://a.example/`"),
        "{}",
        run.stderr
    );
}

// 3. Every error at once, in the file's words -----------------------------------------------------

const SHAPE_ERRORS: &str = r#"allow_origins = ["https://app.example.com"]
allow_credential = true
max_age = "600"

[proxy]
upstrem = "http://127.0.0.1:1"
max_connections = 1.5

[[proxy.routes]]
prefix = "/a"
upstream = "http://127.0.0.1:2"
strip_prefx = true
"#;

#[test]
fn every_unknown_key_and_wrong_kind_at_once_from_both_commands() {
    let path = temp_file("shape.toml", SHAPE_ERRORS);
    let p = path.to_str().unwrap();
    let expected = [
        format!("error: {p}:2:1: unknown key `allow_credential`; did you mean `allow_credentials`? (see `corsair policy check --help` for the keys)"),
        format!("error: {p}:3:11: max_age must be a whole number, not a string; write it without quotes: max_age = 600"),
        format!("error: {p}:6:1: unknown key `proxy.upstrem`; did you mean `upstream`? (see `corsair proxy --help` for the keys)"),
        format!("error: {p}:7:19: proxy.max_connections must be a whole number, not a decimal number; write a whole number such as max_connections = 600"),
        format!("error: {p}:12:1: unknown key `proxy.routes.strip_prefx`; did you mean `strip_prefix`? (see `corsair proxy --help` for the keys)"),
    ];
    for args in [vec!["proxy", "--check", "--config", p], vec!["proxy", "--config", p], vec!["policy", "check", p]] {
        let run = corsair(&args, &[]);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        assert_eq!(error_lines(&run), expected, "{args:?}");
        for rust in ["i64", "invalid type", "sequence", "float", "unknown field"] {
            assert!(!run.stderr.contains(rust), "{rust:?} in {}", run.stderr);
        }
    }
}

#[test]
fn every_value_reference_and_mode_error_at_once() {
    let text = r#"allow_origins = ["https://app.example.com/"]
[profiles.admin]
allow_origins = ["https://admin.example.com"]
[proxy]
listen = "everywhere"
rate_per_client = "60/minute"
[[proxy.routes]]
prefix = "/admin"
upstream = "http://127.0.0.1:2"
profile = "admni"
"#;
    let path = temp_file("values.toml", text);
    let p = path.to_str().unwrap();
    for args in [vec!["proxy", "--check", "--config", p], vec!["policy", "check", p]] {
        let run = corsair(&args, &[]);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        let errors = error_lines(&run);
        assert_eq!(errors.len(), 4, "{args:?}: {}", run.stderr);
        for at in [
            format!("error: {p}:1:18: `https://app.example.com/`"),
            format!("error: {p}:5:10: proxy.listen: `everywhere` is not an address"),
            format!("error: {p}:6:19: proxy.rate_per_client: applies to the open proxy only"),
            format!("error: {p}:10:11: no profile `admni` in this file; choose one of: admin"),
        ] {
            assert!(errors.iter().any(|l| l.starts_with(&at)), "{at} in {args:?}:\n{}", run.stderr);
        }
    }
}

#[test]
fn a_misspelt_corsair_variable_is_an_error_and_another_corsair_name_a_warning() {
    let path = temp_file("ok.toml", "allow_origins = [\"https://app.example.com\"]\n");
    let p = path.to_str().unwrap();
    let misspelt = [("CORSAIR_ALLOW_ORIGIN", "https://b.example.com")];
    for args in
        [vec!["proxy", "--check", "--config", p, "--upstream", "http://127.0.0.1:1"], vec!["policy", "check", p]]
    {
        let run = corsair(&args, &misspelt);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("error: environment variable CORSAIR_ALLOW_ORIGIN: `CORSAIR_ALLOW_ORIGIN` is not a variable corsair reads, so it does nothing; did you mean CORSAIR_ALLOW_ORIGINS?"),
            "{args:?}: {}",
            run.stderr
        );
        let run = corsair(&args, &[("CORSAIR_BUILD_ID", "7")]);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("warning: environment variable CORSAIR_BUILD_ID is not one corsair reads; it is ignored"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

// 4. --check, policy check on a proxy file, the keys in --help --------------------------------------

#[test]
fn proxy_check_validates_without_binding() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let text = format!("allow_origins = [\"https://app.example.com\"]\n[proxy]\nlisten = \"{addr}\"\nupstream = \"http://127.0.0.1:1\"\n");
    let path = temp_file("check.toml", text);
    let p = path.to_str().unwrap();
    let run = corsair(&["proxy", "--check", "--config", p], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stderr, format!("corsair proxy --check: {p}: ok\n"));
    let run = corsair(&["proxy", "--config", p], &[]);
    assert_eq!(run.status, 2, "without --check it binds, and the port is taken: {}", run.stderr);
}

#[test]
fn policy_check_checks_the_proxy_table_too() {
    let text =
        "allow_origins = [\"https://app.example.com\"]\n[proxy]\nlisten = \"127.0.0.1:8787\"\nforwarded = \"maybe\"\n";
    let path = temp_file("proxy.toml", text);
    let p = path.to_str().unwrap();
    let run = corsair(&["policy", "check", p], &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(
        error_lines(&run),
        [format!("error: {p}:4:13: proxy.forwarded: `maybe` is unknown; write \"set\", \"append\" or \"off\"")]
    );
    // No upstream in the file is fine here: `corsair proxy --upstream URL` may give it.
    let fixed = temp_file("proxy.toml", text.replace("maybe", "append"));
    assert_eq!(corsair(&["policy", "check", fixed.to_str().unwrap()], &[]).status, 0);
}

#[test]
fn proxy_help_and_the_proxy_docs_list_every_proxy_key() {
    let help = command(&["proxy", "--help"], &[]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains(PROXY_KEYS_HELP), "{help}");
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/proxy.md")).unwrap();
    let start = readme.find("| `[proxy]` key |").expect("docs/proxy.md's [proxy] table");
    let table: Vec<&str> = readme[start..].lines().take_while(|l| l.starts_with('|')).collect();
    for key in PROXY_KEYS {
        let row = format!("`{}`", key.name);
        assert!(
            table.iter().any(|l| l.split('|').nth(1).is_some_and(|c| c.contains(&row))),
            "{} in docs/proxy.md's table",
            key.name
        );
    }
}

// 5. One exit status per kind of failure, across commands -------------------------------------------

#[test]
fn the_same_file_failure_exits_the_same_way_from_every_command() {
    let broken = temp_file(
        "broken.toml",
        "allow_origins = [\"https://app.example.com/\"]\n[proxy]\nupstream = \"http://127.0.0.1:1\"\n",
    );
    let not_utf8 = temp_file("latin1.toml", b"allow_origins = [\"https://caf\xe9.example\"]\n");
    let missing = broken.with_file_name("missing.toml");
    let cases = [(&broken, 1), (&not_utf8, 2), (&missing, 2)];
    for (path, status) in cases {
        let p = path.to_str().unwrap();
        for args in [vec!["policy", "check", p], vec!["proxy", "--check", "--config", p], vec!["proxy", "--config", p]]
        {
            let run = corsair(&args, &[]);
            assert_eq!(run.status, status, "{args:?}: {}", run.stderr);
        }
    }
}
