//! The Rack snippet under `rackup` with WEBrick (Debian's ruby-rack 2.2 and ruby-webrick), in
//! rackup's development environment, so `Rack::Lint` checks every answer the middleware gives,
//! driven across the matrix; /error raises, so the 500 is the middleware's answer to it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const CONFIG: &str = r#"require_relative 'cors_policy'

use CorsPolicy
run lambda { |env|
  raise 'boom' if env['PATH_INFO'] == '/error'

  [200, { 'Content-Type' => 'text/plain', 'Vary' => 'Accept-Encoding' }, ["ok\n"]]
}
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let webrick = Command::new("ruby").args(["-e", "require 'rack'; require 'webrick'"]).output();
    if !Path::new("/usr/bin/rackup").exists() || !webrick.is_ok_and(|o| o.status.success()) {
        missing("Rack and WEBrick (apt-get install ruby-rack ruby-webrick)");
        return None;
    }
    let snippet = render(policy, Stack::Rack);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    assert_eq!(snippet.parts[0].place, "cors_policy.rb");
    let dir = temp_dir("rack");
    std::fs::write(dir.join("cors_policy.rb"), &snippet.parts[0].text).expect("write cors_policy.rb");
    std::fs::write(dir.join("config.ru"), CONFIG).expect("write config.ru");
    let port = free_port();
    let mut cmd = Command::new("/usr/bin/rackup");
    cmd.args(["-s", "webrick", "-E", "development", "-o", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .arg(dir.join("config.ru"))
        .current_dir(&dir);
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn rack_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("rack", &policy, port, Leeway::default());
}

#[test]
fn rack_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("rack (*)", &policy, port, Leeway::default());
}

#[test]
fn rack_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("rack (echo, 403)", &policy, port, Leeway::default());
}
