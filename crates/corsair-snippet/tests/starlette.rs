//! The Starlette snippet in real Starlette 1.10 under uvicorn 0.55 (PyPI, installed by
//! `.ci/run`), driven across the matrix, including the 500 Starlette's ServerErrorMiddleware
//! makes from an unhandled exception (outside any `add_middleware` layer, inside the wrapper).

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

const APP: &str = r#"import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from cors_policy import CorsPolicy


async def index(request):
    return PlainTextResponse('ok\n')


async def error(request):
    raise RuntimeError('boom')


app = Starlette(routes=[Route('/', index, methods=['GET', 'POST', 'PUT', 'DELETE']), Route('/error', error)])
app = CorsPolicy(app)

uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='critical')
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let ok =
        Command::new("python3").args(["-c", "import starlette, uvicorn"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        missing("Starlette and uvicorn (python3 -m pip install starlette==1.10.0 uvicorn==0.55.0)");
        return None;
    }
    let snippet = render(policy, Stack::Starlette);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("starlette");
    std::fs::write(dir.join("cors_policy.py"), &snippet.parts[0].text).expect("write cors_policy.py");
    std::fs::write(dir.join("app.py"), APP).expect("write app.py");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.arg(dir.join("app.py")).arg(port.to_string()).current_dir(&dir);
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn starlette_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("starlette", &policy, port, Leeway::default());
}

#[test]
fn starlette_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("starlette (*)", &policy, port, Leeway::default());
}

#[test]
fn starlette_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("starlette (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_starlette_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("starlette", &chromium, &allowed, &refused, port).await;
}
