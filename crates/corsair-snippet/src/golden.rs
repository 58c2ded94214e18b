//! What the golden-only stacks share: the policy's origins as the plain pattern forms products
//! accept (`https://*.example.com`, `http://localhost:*`), read back from the patterns
//! themselves, and the lists as the values their settings take.

use crate::plan::Plan;

/// One origin pattern as products write it (`https://*.example.com`, `http://localhost:*`).
pub(crate) struct Pattern<'a> {
    /// The pattern as written in the policy (`https://*.example.com`, `http://localhost:*`).
    pub text: &'a str,
    /// `:*` after the host: any port, or none.
    pub any_port: bool,
}

/// The plan's patterns, classified.
pub(crate) fn patterns(plan: &Plan) -> Vec<Pattern<'_>> {
    plan.regexes.iter().map(|(text, _)| Pattern { text, any_port: text.ends_with(":*") }).collect()
}

/// The methods a product should list: the policy's, with the three always allowed.
pub(crate) fn methods(plan: &Plan) -> Option<Vec<String>> {
    plan.preflight_methods()
}

/// The pattern's regex with `\z` for its final `$`: in PCRE and .NET, `$` also matches before
/// a final newline.
pub(crate) fn end_anchored(regex: &str) -> String {
    match regex.strip_suffix('$') {
        Some(body) => format!("{body}\\z"),
        None => regex.to_owned(),
    }
}

/// A double-quoted string for YAML, JSON, Java, C# and PHP alike (origins, methods and header
/// names hold no quote or backslash).
pub(crate) fn dq(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `dq` of each, joined with `, `.
pub(crate) fn dq_list(items: &[String]) -> String {
    items.iter().map(|i| dq(i)).collect::<Vec<_>>().join(", ")
}

/// Every exact origin and pattern as written, in the policy's order (exact first).
pub(crate) fn origin_texts(plan: &Plan) -> Vec<String> {
    if plan.star || plan.any_echoed {
        return vec!["*".to_owned()];
    }
    plan.exact.iter().cloned().chain(plan.regexes.iter().map(|(t, _)| t.clone())).collect()
}

/// The warning for a policy that answers refused requests itself (`refusal = reject-all`): a
/// product that forwards them without CORS headers cannot say that (the browser blocks them all
/// the same).
pub(crate) fn refusal_warning(plan: &Plan, product: &str, warnings: &mut Vec<String>) {
    if let Some(status) = plan.refused_actual_status {
        warnings.push(format!(
            "refused requests answered {status}: {product} passes them on without CORS headers (the browser blocks them all the same)"
        ));
    }
}

/// The exposed header names, as a list.
pub(crate) fn exposed(plan: &Plan) -> Vec<String> {
    plan.expose_value.iter().flat_map(|e| e.split(',')).map(str::to_owned).collect()
}

/// The three lists a product configures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// Allowed methods (with GET, HEAD and POST), or `*`.
    Methods,
    /// Allowed request headers, or `*`; left out when the policy allows none.
    Headers,
    /// Exposed response headers; left out when none.
    Exposed,
}

/// The lines `line` writes for each list, in order, `*` standing for "any".
pub(crate) fn grant_lines(plan: &Plan, line: impl Fn(Grant, &[String]) -> String) -> String {
    let star = vec!["*".to_owned()];
    let mut s = line(Grant::Methods, methods(plan).as_deref().unwrap_or(&star));
    match &plan.headers {
        Some(h) if h.is_empty() => {}
        Some(h) => s.push_str(&line(Grant::Headers, h)),
        None => s.push_str(&line(Grant::Headers, &star)),
    }
    let names = exposed(plan);
    if !names.is_empty() {
        s.push_str(&line(Grant::Exposed, &names));
    }
    s
}
