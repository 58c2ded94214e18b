//! The Apache snippet in Debian's apache2 (httpd 2.4), run in the foreground from a minimal
//! httpd.conf on a loopback port, driven across the matrix. The app behind it is a CGI script
//! (mod_cgid), so the 500 is the app's own and still carries the headers (`Header always`).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const MODULES: &str = "/usr/lib/apache2/modules";

/// The app: 200 with a body on any path and method, 500 on /error.
const APP: &str = "#!/bin/sh\nif [ \"$PATH_INFO\" = /error ]; then\n  printf 'Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nboom\\n'\nelse\n  printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\nfi\n";

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let bin = "/usr/sbin/apache2";
    if !Path::new(bin).exists() || !Path::new(MODULES).join("mod_headers.so").exists() {
        missing("Apache httpd (apt-get install apache2)");
        return None;
    }
    let snippet = render(policy, Stack::Apache);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("apache");
    // Apache started as root serves as `User`; it must read the script and run it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod the temp dir");
    let app = dir.join("app.cgi");
    std::fs::write(&app, APP).expect("write app.cgi");
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).expect("chmod app.cgi");
    let port = free_port();
    let d = dir.display();
    let modules: String = [
        ("mpm_event", "mod_mpm_event"),
        ("authz_core", "mod_authz_core"),
        ("alias", "mod_alias"),
        ("cgid", "mod_cgid"),
        ("setenvif", "mod_setenvif"),
        ("headers", "mod_headers"),
        ("rewrite", "mod_rewrite"),
    ]
    .iter()
    .map(|(name, file)| format!("LoadModule {name}_module {MODULES}/{file}.so\n"))
    .collect();
    let user = if is_root() { "User www-data\nGroup www-data\n" } else { "" };
    let conf = format!(
        "{modules}{user}ServerName 127.0.0.1\nServerRoot {d}\nDefaultRuntimeDir {d}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\nLogLevel warn\nScriptSock {d}/cgid.sock\nListen 127.0.0.1:{port}\nDocumentRoot {d}\n<Directory />\n  Require all granted\n</Directory>\n<VirtualHost 127.0.0.1:{port}>\n{}\nScriptAlias / {d}/app.cgi/\n</VirtualHost>\n",
        snippet.parts[0].text
    );
    let conf_path = dir.join("httpd.conf");
    std::fs::write(&conf_path, &conf).expect("write httpd.conf");
    let test = Command::new(bin).arg("-t").arg("-f").arg(&conf_path).output().expect("apache2 -t");
    assert!(test.status.success(), "apache2 -t refuses the snippet: {}\n{conf}", String::from_utf8_lossy(&test.stderr));
    let mut cmd = Command::new(bin);
    cmd.arg("-f").arg(&conf_path).arg("-DFOREGROUND");
    Some((Server::start(cmd, dir, port), port))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

#[test]
fn apache_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("apache", &policy, port, Leeway::default());
}

#[test]
fn apache_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("apache (*)", &policy, port, Leeway::default());
}

#[test]
fn apache_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("apache (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_apache_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("apache", &chromium, &allowed, &refused, port).await;
}
