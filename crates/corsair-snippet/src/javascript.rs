//! The policy in JavaScript, shared by the Express, Appwrite Function, Node `http` and Fastify
//! snippets: the allow-list and preflight checks (all), and the whole decision as data where no
//! CORS package is handed it (Appwrite, Node `http`, Fastify), so the checks are written once.

use crate::plan::Plan;

/// A JavaScript string literal.
pub(crate) fn js(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn js_list(items: &[String]) -> String {
    items.iter().map(|s| js(s)).collect::<Vec<_>>().join(", ")
}

fn js_opt(v: Option<&str>) -> String {
    v.map_or("null".to_owned(), js)
}

/// The allow-list, the patterns and the preflight's method and header checks:
/// `originAllowed(origin)` and `preflightAllowed(requestMethod, requestHeaders)`.
pub(crate) fn checks(plan: &Plan) -> String {
    let mut s = String::new();
    s.push_str("// Exact origins, compared byte for byte before any pattern.\n");
    s.push_str(&format!("const ALLOWED_ORIGINS = new Set([{}]);\n", js_list(&plan.exact)));
    s.push_str("// Patterns, anchored, dots escaped.\n");
    let regexes: Vec<String> =
        plan.regexes.iter().map(|(src, re)| format!("\n  new RegExp({}), // {src}", js(re))).collect();
    s.push_str(&format!(
        "const ALLOWED_ORIGIN_PATTERNS = [{}{}];\n",
        regexes.concat(),
        if regexes.is_empty() { "" } else { "\n" }
    ));
    s.push_str(&format!("const ANY_ORIGIN = {};\n", plan.star || plan.any_echoed));
    match plan.preflight_methods() {
        Some(m) => s.push_str(&format!("const PREFLIGHT_METHODS = new Set([{}]);\n", js_list(&m))),
        None => s.push_str("const PREFLIGHT_METHODS = null; // any method\n"),
    }
    match &plan.headers {
        Some(h) => s.push_str(&format!("const PREFLIGHT_HEADERS = new Set([{}]);\n", js_list(h))),
        None => s.push_str("const PREFLIGHT_HEADERS = null; // any header\n"),
    }
    s.push_str(&format!(
        "const ANY_HEADER_COVERS_AUTHORIZATION = {};\n",
        plan.headers.is_none() && plan.any_header_authorization
    ));
    s.push_str(CHECKS);
    s
}

const CHECKS: &str = r#"
function originAllowed(origin) {
  return ALLOWED_ORIGINS.has(origin) || ANY_ORIGIN || ALLOWED_ORIGIN_PATTERNS.some((re) => re.test(origin));
}

function headerNames(value) {
  return (value || '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
}

function preflightAllowed(requestMethod, requestHeaders) {
  if (PREFLIGHT_METHODS && !PREFLIGHT_METHODS.has(requestMethod)) return false;
  return headerNames(requestHeaders).every((n) => PREFLIGHT_HEADERS
    ? PREFLIGHT_HEADERS.has(n)
    : n !== 'authorization' || ANY_HEADER_COVERS_AUTHORIZATION);
}
"#;

/// [`checks`] and `corsDecision(method, origin, requestMethod, requestHeaders)`, which returns
/// `{ earlyStatus, vary, headers }`: the status to answer before the handler runs (or null), the
/// `Vary` names, and the CORS response headers as an object.
pub(crate) fn decision(plan: &Plan) -> String {
    let mut s = checks(plan);
    s.push('\n');
    s.push_str(&format!("const STAR = {}; // answer `*`: any origin, no credentials\n", plan.star));
    s.push_str(&format!("const CREDENTIALS = {};\n", plan.credentials));
    s.push_str(&format!(
        "const ALLOW_METHODS = {}; // null: name the requested method back\n",
        js_opt(plan.allow_methods_value.as_deref())
    ));
    s.push_str(&format!(
        "const ALLOW_HEADERS = {}; // null: name the requested headers back\n",
        js_opt(plan.allow_headers_value.as_deref())
    ));
    s.push_str(&format!("const EXPOSE_HEADERS = {};\n", js_opt(plan.expose_value.as_deref())));
    s.push_str(&format!("const MAX_AGE = {};\n", js_opt(plan.max_age.map(|a| a.to_string()).as_deref())));
    s.push_str(&format!("const PREFLIGHT_STATUS = {};\n", plan.preflight_status));
    s.push_str(&format!("const REFUSED_PREFLIGHT_STATUS = {};\n", plan.refused_preflight_status));
    s.push_str(&format!(
        "const REFUSED_ACTUAL_STATUS = {};\n",
        plan.refused_actual_status.map_or("null".to_owned(), |s| s.to_string())
    ));
    s.push_str(DECISION);
    s
}

const DECISION: &str = r#"
function corsDecision(method, origin, requestMethod, requestHeaders) {
  const vary = STAR ? [] : ['Origin'];
  if (origin === undefined || origin === null) return { earlyStatus: null, vary, headers: {} };
  const preflight = method === 'OPTIONS' && requestMethod !== undefined && requestMethod !== null;
  if (preflight) vary.push('Access-Control-Request-Method', 'Access-Control-Request-Headers');
  const allowed = originAllowed(origin) && (!preflight || preflightAllowed(requestMethod, requestHeaders));
  if (!allowed) {
    const earlyStatus = preflight ? REFUSED_PREFLIGHT_STATUS : REFUSED_ACTUAL_STATUS;
    return { earlyStatus, vary, headers: {} };
  }
  const headers = { 'Access-Control-Allow-Origin': STAR ? '*' : origin };
  if (CREDENTIALS) headers['Access-Control-Allow-Credentials'] = 'true';
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = ALLOW_METHODS || requestMethod;
    if (headerNames(requestHeaders).length > 0) headers['Access-Control-Allow-Headers'] = ALLOW_HEADERS || requestHeaders;
    if (MAX_AGE !== null) headers['Access-Control-Max-Age'] = MAX_AGE;
  } else if (EXPOSE_HEADERS !== null) {
    headers['Access-Control-Expose-Headers'] = EXPOSE_HEADERS;
  }
  return { earlyStatus: preflight ? PREFLIGHT_STATUS : null, vary, headers };
}
"#;
