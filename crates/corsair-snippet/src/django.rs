//! Django: one middleware, first in `MIDDLEWARE`, answers preflights itself and adds the headers
//! to every response, including the 500 Django makes from an unhandled exception (Django turns
//! the exception into a response inside the layers below it). Not django-cors-headers: it answers
//! a preflight whatever method or header it asks for, so it cannot refuse one the policy refuses.

use crate::plan::Plan;
use crate::python::py;
use crate::{Addition, Part};

/// Settings lines for django-cors-headers that work whether or not it is set up already: they
/// add the app only when `INSTALLED_APPS` lacks it (Django refuses to start with an app listed
/// twice), move the middleware first (where its headers reach the answers the middleware below
/// it makes), and extend the origin, header and method settings from their current values (or
/// django-cors-headers' defaults), so nothing allowed today is dropped.
pub(crate) fn amend(a: &Addition) -> Vec<Part> {
    let mut s = String::new();
    s.push_str("# corsair fix for Django + django-cors-headers (pip install django-cors-headers): paste at the\n");
    s.push_str("# END of the settings module Django loads (after INSTALLED_APPS and MIDDLEWARE). Safe whether or\n");
    s.push_str("# not corsheaders is set up already: it adds only what is missing and keeps what is allowed today.\n");
    s.push_str("# Remove hand-written Access-Control-* headers (views, other middleware): they would go out twice.\n");
    if let Some(status) = a.outside_layer {
        s.push_str(&format!(
            "# The {status} came from middleware above CorsMiddleware: the MIDDLEWARE line moves it first.\n"
        ));
    }
    s.push_str("if 'corsheaders' not in INSTALLED_APPS:\n    INSTALLED_APPS = [*INSTALLED_APPS, 'corsheaders']\n");
    s.push_str("# First, so answers the middleware below it makes (redirects, 403s, 500s) carry the headers too.\n");
    s.push_str("MIDDLEWARE = [\n    'corsheaders.middleware.CorsMiddleware',\n    *(m for m in MIDDLEWARE if m != 'corsheaders.middleware.CorsMiddleware'),\n]\n");
    if let Some(origin) = &a.origin {
        s.push_str("# CORS_ORIGIN_WHITELIST is the old name of the same setting; dict.fromkeys drops repeats.\n");
        s.push_str(&format!(
            "CORS_ALLOWED_ORIGINS = list(dict.fromkeys([\n    *globals().get('CORS_ALLOWED_ORIGINS', globals().get('CORS_ORIGIN_WHITELIST', ())),\n    {},\n]))\n",
            py(origin)
        ));
    }
    if a.credentials {
        s.push_str("CORS_ALLOW_CREDENTIALS = True\n");
    }
    if !a.headers.is_empty() || a.method.is_some() {
        s.push_str("from corsheaders.defaults import default_headers, default_methods  # noqa: E402\n\n");
    }
    if !a.headers.is_empty() {
        s.push_str(&format!(
            "CORS_ALLOW_HEADERS = tuple(dict.fromkeys([*globals().get('CORS_ALLOW_HEADERS', default_headers), {}]))\n",
            crate::python::py_list(&a.headers)
        ));
    }
    if let Some(method) = &a.method {
        s.push_str(&format!(
            "CORS_ALLOW_METHODS = tuple(dict.fromkeys([*globals().get('CORS_ALLOW_METHODS', default_methods), {}]))\n",
            py(method)
        ));
    }
    vec![Part { place: "settings.py, at the end".to_owned(), text: s }]
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let header = "# corsair snippet for Django: save as cors_policy.py next to settings.py (or in any\n\
                  # importable package), then in settings.py put it FIRST in MIDDLEWARE:\n\
                  #     MIDDLEWARE = ['yourproject.cors_policy.CorsPolicyMiddleware', *MIDDLEWARE]\n\
                  # and remove 'corsheaders' from INSTALLED_APPS and\n\
                  # 'corsheaders.middleware.CorsMiddleware' from MIDDLEWARE if they are there (two CORS\n\
                  # layers double the headers), with the CORS_* settings they read.\n";
    let mut s = crate::python::policy_module(plan, header);
    s.push_str(ADAPTER);
    (vec![Part { place: "cors_policy.py".to_owned(), text: s }], Vec::new())
}

const ADAPTER: &str = r#"

from django.http import HttpResponse  # noqa: E402
from django.utils.cache import patch_vary_headers  # noqa: E402


class CorsPolicyMiddleware:
    """First in MIDDLEWARE: it sees every request before the rest, and every response after."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        h = request.headers
        decision = CorsDecision(
            request.method,
            h.get('Origin'),
            h.get('Access-Control-Request-Method'),
            h.get('Access-Control-Request-Headers'),
        )
        status = decision.early_status()
        response = self.get_response(request) if status is None else HttpResponse(status=status)
        patch_vary_headers(response, decision.vary())
        for name, value in decision.headers():
            response[name] = value
        return response
"#;
