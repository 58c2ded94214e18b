//! Flask: a `before_request` hook answers preflights (allowed or refused) and an `after_request`
//! hook adds the headers to every response, including the 500 Flask makes from an unhandled
//! exception. Plain hooks rather than flask-cors: flask-cors answers a preflight whatever method
//! it asks for, so it cannot refuse one the policy refuses.

use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let header = "# corsair snippet for Flask: save as cors_policy.py, then in the app module:\n\
                  #     from cors_policy import init_cors\n#     init_cors(app)\n\
                  # Remove flask-cors or hand-written CORS headers it would duplicate.\n";
    let mut s = crate::python::policy_module(plan, header);
    s.push_str(ADAPTER);
    (vec![Part { place: "cors_policy.py".to_owned(), text: s }], Vec::new())
}

const ADAPTER: &str = r#"

from flask import make_response, request  # noqa: E402


def _decision():
    h = request.headers
    return CorsDecision(
        request.method,
        h.get('Origin'),
        h.get('Access-Control-Request-Method'),
        h.get('Access-Control-Request-Headers'),
    )


def _before_request():
    status = _decision().early_status()
    return None if status is None else make_response('', status)


def _after_request(response):
    decision = _decision()
    for name in decision.vary():
        response.vary.add(name)
    for name, value in decision.headers():
        response.headers[name] = value
    return response


def init_cors(app):
    """Registers the hooks first, so they run before the app's own before_request hooks."""
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)
    app.after_request(_after_request)
"#;
