//! The Flask snippet in real Flask 3 (PyPI, installed by `.ci/run`), driven across the matrix,
//! including a 500 from an unhandled exception. No leeway: the hooks send what decide sends.

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const APP: &str = r#"import logging
import sys

from flask import Flask

from cors_policy import init_cors

logging.getLogger('werkzeug').setLevel(logging.ERROR)
app = Flask(__name__)
init_cors(app)


@app.route('/', methods=['GET', 'POST', 'PUT', 'DELETE'])
def index():
    return 'ok\n'


@app.route('/error')
def error():
    raise RuntimeError('boom')


app.run(host='127.0.0.1', port=int(sys.argv[1]))
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let flask = Command::new("python3").args(["-c", "import flask"]).output().is_ok_and(|o| o.status.success());
    if !flask {
        missing("Flask (python3 -m pip install flask)");
        return None;
    }
    let snippet = render(policy, Stack::Flask);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("flask");
    std::fs::write(dir.join("cors_policy.py"), &snippet.parts[0].text).expect("write cors_policy.py");
    std::fs::write(dir.join("app.py"), APP).expect("write app.py");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.arg(dir.join("app.py")).arg(port.to_string()).current_dir(&dir);
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn flask_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("flask", &policy, port, Leeway::default());
}

#[test]
fn flask_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("flask (*)", &policy, port, Leeway::default());
}

#[test]
fn flask_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("flask (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_flask_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("flask", &chromium, &allowed, &refused, port).await;
}
