//! The Django snippet in real Django 5.2 (PyPI, installed by `.ci/run`), served by `runserver`
//! with `DEBUG = False` and driven across the matrix, including the 500 Django makes from an
//! unhandled exception. No leeway: the middleware sends what decide sends.

mod common;

use std::process::Command;

use common::{free_port, missing, run_matrix, temp_dir, Leeway, Server};
use corsair_core::Policy;
use corsair_snippet::{render, Stack};

/// A one-file Django project: settings, two views and the URLs, with the snippet's middleware
/// first in MIDDLEWARE as its comment says, in front of Django's usual stack.
const APP: &str = r#"import sys

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=['127.0.0.1'],
    ROOT_URLCONF=__name__,
    SECRET_KEY='corsair-snippet-test',
    MIDDLEWARE=[
        'cors_policy.CorsPolicyMiddleware',
        'django.middleware.security.SecurityMiddleware',
        'django.middleware.common.CommonMiddleware',
        'django.middleware.clickjacking.XFrameOptionsMiddleware',
    ],
    LOGGING_CONFIG=None,
)


def index(request):
    return HttpResponse('ok\n')


def error(request):
    raise RuntimeError('boom')


urlpatterns = [path('', index), path('error', error)]

if __name__ == '__main__':
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], 'runserver', '--noreload', '--nothreading', '127.0.0.1:' + sys.argv[1]])
"#;

fn serve(policy: &Policy) -> Option<(Server, u16)> {
    let django = Command::new("python3").args(["-c", "import django"]).output().is_ok_and(|o| o.status.success());
    if !django {
        missing("Django (python3 -m pip install django==5.2.19)");
        return None;
    }
    let snippet = render(policy, Stack::Django);
    assert!(snippet.warnings.is_empty(), "{:?}", snippet.warnings);
    let dir = temp_dir("django");
    std::fs::write(dir.join("cors_policy.py"), &snippet.parts[0].text).expect("write cors_policy.py");
    std::fs::write(dir.join("app.py"), APP).expect("write app.py");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.arg(dir.join("app.py")).arg(port.to_string()).current_dir(&dir).env("PYTHONPATH", &dir);
    Some((Server::start(cmd, dir, port), port))
}

#[test]
fn django_snippet_agrees_with_decide() {
    let policy = common::policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("django", &policy, port, Leeway::default());
}

#[test]
fn django_star_snippet_agrees_with_decide() {
    let policy = common::star_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("django (*)", &policy, port, Leeway::default());
}

#[test]
fn django_echo_snippet_agrees_with_decide() {
    let policy = common::echo_policy();
    let Some((_server, port)) = serve(&policy) else { return };
    run_matrix("django (echo, 403)", &policy, port, Leeway::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_django_snippet_as_the_model_does() {
    let Some((chromium, allowed, refused)) = common::browser::pages().await else { return };
    let policy = common::browser::policy_for(&allowed.origin("http"));
    let Some((_server, port)) = serve(&policy) else { return };
    common::browser::judge("django", &chromium, &allowed, &refused, port).await;
}
