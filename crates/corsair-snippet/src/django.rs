//! Django: one middleware, first in `MIDDLEWARE`, answers preflights itself and adds the headers
//! to every response, including the 500 Django makes from an unhandled exception (Django turns
//! the exception into a response inside the layers below it). Not django-cors-headers: it answers
//! a preflight whatever method or header it asks for, so it cannot refuse one the policy refuses.

use crate::plan::Plan;
use crate::Part;

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
