//! The policy in Python, shared by the Flask, Django and Starlette snippets: constants and a
//! `CorsDecision` built from the request's method and CORS headers alone, so each framework
//! module only reads its request and writes its response, and the three cannot drift apart.

use crate::plan::Plan;

/// A Python string literal.
pub(crate) fn py(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub(crate) fn py_list(items: &[String]) -> String {
    items.iter().map(|s| py(s)).collect::<Vec<_>>().join(", ")
}

fn py_opt(v: Option<&str>) -> String {
    v.map_or("None".to_owned(), py)
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The constants and the decision, after `header` (the snippet's opening comment) and the
/// warnings; the framework adapter follows.
pub(crate) fn policy_module(plan: &Plan, header: &str) -> String {
    let mut s = String::from(header);
    s.push_str(&crate::warning_comments("#", plan, &[]));
    s.push_str("import re\n\n");
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
        "REFUSED_ACTUAL_STATUS = {}\n",
        plan.refused_actual_status.map_or("None".to_owned(), |s| s.to_string())
    ));
    s.push_str(DECISION);
    s
}

const DECISION: &str = r#"

def _origin_allowed(origin):
    return origin in ALLOWED_ORIGINS or ANY_ORIGIN or any(p.fullmatch(origin) for p in ALLOWED_ORIGIN_PATTERNS)


def _header_names(value):
    return [n.strip().lower() for n in (value or '').split(',') if n.strip()]


def _preflight_allowed(method, headers):
    if PREFLIGHT_METHODS is not None and method not in PREFLIGHT_METHODS:
        return False
    for name in _header_names(headers):
        if PREFLIGHT_HEADERS is not None:
            if name not in PREFLIGHT_HEADERS:
                return False
        elif name == 'authorization' and not ANY_HEADER_COVERS_AUTHORIZATION:
            return False
    return True


class CorsDecision:
    """What the policy says of one request, from its method and its Origin and
    Access-Control-Request-* headers (None where absent)."""

    def __init__(self, method, origin, request_method, request_headers):
        self.origin = origin
        self.request_method = request_method
        self.request_headers = request_headers
        self.kind = None  # 'preflight', 'actual', or None without Origin
        self.allowed = False
        if origin is None:
            return
        self.kind = 'preflight' if method == 'OPTIONS' and request_method is not None else 'actual'
        self.allowed = _origin_allowed(origin) and (
            self.kind == 'actual' or _preflight_allowed(request_method, request_headers)
        )

    def early_status(self):
        """The status to answer with before the app runs, or None to let the app answer."""
        if self.kind == 'preflight':
            return PREFLIGHT_STATUS if self.allowed else REFUSED_PREFLIGHT_STATUS
        if self.kind == 'actual' and not self.allowed:
            return REFUSED_ACTUAL_STATUS
        return None

    def vary(self):
        """The request headers the answer depends on, for Vary."""
        names = [] if STAR else ['Origin']
        if self.kind == 'preflight':
            names += ['Access-Control-Request-Method', 'Access-Control-Request-Headers']
        return names

    def headers(self):
        """The CORS response headers as (name, value) pairs; none for a refused request."""
        if not self.allowed:
            return []
        h = [('Access-Control-Allow-Origin', '*' if STAR else self.origin)]
        if CREDENTIALS:
            h.append(('Access-Control-Allow-Credentials', 'true'))
        if self.kind == 'preflight':
            h.append(('Access-Control-Allow-Methods', ALLOW_METHODS or self.request_method))
            if _header_names(self.request_headers):
                h.append(('Access-Control-Allow-Headers', ALLOW_HEADERS or self.request_headers))
            if MAX_AGE is not None:
                h.append(('Access-Control-Max-Age', MAX_AGE))
        elif EXPOSE_HEADERS is not None:
            h.append(('Access-Control-Expose-Headers', EXPOSE_HEADERS))
        return h
"#;
