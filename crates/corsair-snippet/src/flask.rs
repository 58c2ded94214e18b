//! Flask: a `before_request` hook answers preflights (allowed or refused) and an `after_request`
//! hook adds the headers to every response, including the 500 Flask makes from an unhandled
//! exception. Plain hooks rather than flask-cors: flask-cors answers a preflight whatever method
//! it asks for, so it cannot refuse one the policy refuses.

use crate::plan::Plan;
use crate::Part;

/// A Python string literal.
fn py(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn py_list(items: &[String]) -> String {
    items.iter().map(|s| py(s)).collect::<Vec<_>>().join(", ")
}

fn py_opt(v: Option<&str>) -> String {
    v.map_or("None".to_owned(), py)
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("# corsair snippet for Flask: save as cors_policy.py, then in the app module:\n");
    s.push_str("#     from cors_policy import init_cors\n#     init_cors(app)\n");
    s.push_str("# Remove flask-cors or hand-written CORS headers it would duplicate.\n");
    s.push_str(&crate::warning_comments("#", plan, &[]));
    s.push_str("import re\n\nfrom flask import make_response, request\n\n");
    s.push_str("# Exact origins, compared byte for byte before any pattern.\n");
    s.push_str(&format!("ALLOWED_ORIGINS = frozenset([{}])\n", py_list(&plan.exact)));
    s.push_str("# Patterns: matched with fullmatch (a `$` alone would also accept a trailing newline).\n");
    let regexes: Vec<String> = plan
        .regexes
        .iter()
        .map(|(src, re)| {
            let body = re.trim_start_matches('^').trim_end_matches('$');
            // A raw string: backslashes stay single; patterns hold no quote.
            format!("\n    re.compile(r'{body}'),  # {src}")
        })
        .collect();
    s.push_str(&format!(
        "ALLOWED_ORIGIN_PATTERNS = [{}{}]\n",
        regexes.concat(),
        if regexes.is_empty() { "" } else { "\n" }
    ));
    s.push_str(&format!("ANY_ORIGIN = {}\n", py_bool(plan.star || plan.any_echoed)));
    s.push_str(&format!("STAR = {}  # answer `*`: any origin, no credentials\n", py_bool(plan.star)));
    match plan.preflight_methods() {
        Some(m) => s.push_str(&format!("PREFLIGHT_METHODS = frozenset([{}])\n", py_list(&m))),
        None => s.push_str("PREFLIGHT_METHODS = None  # any method\n"),
    }
    match &plan.headers {
        Some(h) => s.push_str(&format!("PREFLIGHT_HEADERS = frozenset([{}])\n", py_list(h))),
        None => s.push_str("PREFLIGHT_HEADERS = None  # any header\n"),
    }
    s.push_str(&format!(
        "ANY_HEADER_COVERS_AUTHORIZATION = {}\n",
        py_bool(plan.headers.is_none() && plan.any_header_authorization)
    ));
    s.push_str(&format!("CREDENTIALS = {}\n", py_bool(plan.credentials)));
    s.push_str(&format!(
        "ALLOW_METHODS = {}  # None: name the requested method back\n",
        py_opt(plan.allow_methods_value.as_deref())
    ));
    s.push_str(&format!(
        "ALLOW_HEADERS = {}  # None: name the requested headers back\n",
        py_opt(plan.allow_headers_value.as_deref())
    ));
    s.push_str(&format!("EXPOSE_HEADERS = {}\n", py_opt(plan.expose_value.as_deref())));
    s.push_str(&format!("MAX_AGE = {}\n", py_opt(plan.max_age.map(|a| a.to_string()).as_deref())));
    s.push_str(&format!("PREFLIGHT_STATUS = {}\n", plan.preflight_status));
    s.push_str(&format!("REFUSED_PREFLIGHT_STATUS = {}\n", plan.refused_preflight_status));
    s.push_str(&format!(
        "REFUSED_ACTUAL_STATUS = {}\n\n",
        plan.refused_actual_status.map_or("None".to_owned(), |s| s.to_string())
    ));
    s.push_str(BODY);
    (vec![Part { place: "cors_policy.py".to_owned(), text: s }], Vec::new())
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

const BODY: &str = r#"
def _origin_allowed(origin):
    return origin in ALLOWED_ORIGINS or ANY_ORIGIN or any(p.fullmatch(origin) for p in ALLOWED_ORIGIN_PATTERNS)


def _requested_headers():
    value = request.headers.get('Access-Control-Request-Headers', '')
    return [n.strip().lower() for n in value.split(',') if n.strip()]


def _preflight_allowed():
    method = request.headers.get('Access-Control-Request-Method')
    if PREFLIGHT_METHODS is not None and method not in PREFLIGHT_METHODS:
        return False
    for name in _requested_headers():
        if PREFLIGHT_HEADERS is not None:
            if name not in PREFLIGHT_HEADERS:
                return False
        elif name == 'authorization' and not ANY_HEADER_COVERS_AUTHORIZATION:
            return False
    return True


def _answer():
    """('preflight' | 'actual' | None, allowed) for the current request."""
    origin = request.headers.get('Origin')
    if origin is None:
        return None, False
    preflight = request.method == 'OPTIONS' and 'Access-Control-Request-Method' in request.headers
    allowed = _origin_allowed(origin) and (not preflight or _preflight_allowed())
    return ('preflight' if preflight else 'actual'), allowed


def _before_request():
    kind, allowed = _answer()
    if kind == 'preflight':
        return make_response('', PREFLIGHT_STATUS if allowed else REFUSED_PREFLIGHT_STATUS)
    if kind == 'actual' and not allowed and REFUSED_ACTUAL_STATUS is not None:
        return make_response('', REFUSED_ACTUAL_STATUS)
    return None


def _after_request(response):
    kind, allowed = _answer()
    if not STAR:
        response.vary.add('Origin')
    if kind == 'preflight':
        response.vary.add('Access-Control-Request-Method')
        response.vary.add('Access-Control-Request-Headers')
    if not allowed:
        return response
    h = response.headers
    h['Access-Control-Allow-Origin'] = '*' if STAR else request.headers['Origin']
    if CREDENTIALS:
        h['Access-Control-Allow-Credentials'] = 'true'
    if kind == 'preflight':
        h['Access-Control-Allow-Methods'] = ALLOW_METHODS or request.headers['Access-Control-Request-Method']
        if _requested_headers():
            h['Access-Control-Allow-Headers'] = ALLOW_HEADERS or request.headers['Access-Control-Request-Headers']
        if MAX_AGE is not None:
            h['Access-Control-Max-Age'] = MAX_AGE
    elif EXPOSE_HEADERS is not None:
        h['Access-Control-Expose-Headers'] = EXPOSE_HEADERS
    return response


def init_cors(app):
    """Registers the hooks first, so they run before the app's own before_request hooks."""
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)
    app.after_request(_after_request)
"#;
