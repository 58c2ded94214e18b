//! Rendering reports: text for people, JSON for scripts, SARIF 2.1.0 for code scanning, and a
//! self-contained HTML page a security team can attach to a ticket.
//! Deciding happens elsewhere; these only lay out [`TargetReport`]s.

use serde_json::{json, Value};

use crate::{Finding, Kind, Severity, TargetReport};

/// Totals over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// URLs audited (or tried).
    pub targets: usize,
    /// URLs that could not be audited.
    pub errors: usize,
    /// Findings by severity: low, medium, high.
    pub by_severity: [usize; 3],
}

impl Summary {
    /// Counts `reports`.
    pub fn of(reports: &[TargetReport]) -> Summary {
        let mut s = Summary { targets: reports.len(), ..Summary::default() };
        for r in reports {
            s.errors += usize::from(r.error.is_some());
            for f in &r.findings {
                s.by_severity[f.severity as usize] += 1;
            }
        }
        s
    }

    /// Every finding.
    pub fn findings(&self) -> usize {
        self.by_severity.iter().sum()
    }

    /// True if some finding is at least `floor`.
    pub fn any_at_least(&self, floor: Severity) -> bool {
        self.by_severity[floor as usize..].iter().any(|&n| n > 0)
    }
}

/// The report for people: each target, its findings most severe first, each with its fix and
/// the `corsair check` command that replays it.
pub fn text(reports: &[TargetReport]) -> String {
    text_with(reports, &|_, word| word.to_owned())
}

/// [`text`], with each severity word passed through `paint` (a terminal colours it).
pub fn text_with(reports: &[TargetReport], paint: &dyn Fn(Severity, &str) -> String) -> String {
    let mut out = String::new();
    for r in reports {
        out.push_str(&r.url);
        if let Some(site) = &r.site {
            out.push_str(&format!("  (site {site})"));
        }
        out.push('\n');
        if r.findings.is_empty() && r.error.is_none() {
            out.push_str("  no findings\n");
        }
        for f in &r.findings {
            let creds = if f.credentials { ", with credentials" } else { ", without credentials" };
            let what = match f.kind {
                Kind::MissingVaryOrigin => format!("the answer to {} has no `Vary: Origin`", f.origin),
                Kind::WildcardWithCredentials => format!("`*` and credentials answer {}", f.origin),
                Kind::MultipleAllowOriginValues => format!("the answer to {} allows several origins", f.origin),
                Kind::PermissivePreflightWithCredentials => {
                    format!("{} passes a preflight for any method and header{creds}", f.origin)
                }
                _ => format!("{} is allowed{creds}", f.origin),
            };
            let word = format!("{:<6}", f.severity.as_str().to_ascii_uppercase());
            out.push_str(&format!("  {} {}: {what}\n", paint(f.severity, &word), f.kind));
            out.push_str(&format!("         {}\n", f.kind.summary()));
            if let Some(detail) = &f.detail {
                out.push_str(&format!("         observed: {detail}\n"));
            }
            out.push_str(&format!("         fix: {}\n", f.fix));
            out.push_str(&format!("         replay: {}\n", f.replay));
        }
        for n in &r.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("  error: {e}\n"));
        }
    }
    let s = Summary::of(reports);
    let [low, medium, high] = s.by_severity;
    out.push_str(&format!(
        "{} target{}, {} finding{} ({high} high, {medium} medium, {low} low), {} could not be audited\n",
        s.targets,
        plural(s.targets),
        s.findings(),
        plural(s.findings()),
        s.errors
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn pairs(headers: &[(String, String)]) -> Value {
    Value::Array(headers.iter().map(|(n, v)| json!([n, v])).collect())
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "kind": f.kind.as_str(),
        "severity": f.severity.as_str(),
        "origin": f.origin,
        "credentials": f.credentials,
        "summary": f.kind.summary(),
        "fix": f.fix,
        "replay": f.replay,
        "detail": f.detail,
        "evidence": {
            "request": { "method": f.evidence.method, "headers": pairs(&f.evidence.request_headers) },
            "response": { "status": f.evidence.status, "headers": pairs(&f.evidence.response_headers) },
        },
    })
}

/// The JSON contract: `{"targets": [{"url", "site", "findings": [...], "notes", "error"}],
/// "summary": {...}}`.
pub fn json(reports: &[TargetReport]) -> Value {
    json!({
        "targets": reports.iter().map(target_json).collect::<Vec<_>>(),
        "summary": summary_json(reports),
    })
}

/// One target of [`json`]'s `targets`: also the line `--format jsonl` streams per target.
pub fn target_json(r: &TargetReport) -> Value {
    json!({
        "url": r.url,
        "site": r.site,
        "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "notes": r.notes,
        "error": r.error,
    })
}

/// [`json`]'s `summary`.
pub fn summary_json(reports: &[TargetReport]) -> Value {
    let s = Summary::of(reports);
    let [low, medium, high] = s.by_severity;
    json!({
        "targets": s.targets,
        "errors": s.errors,
        "findings": s.findings(),
        "high": high,
        "medium": medium,
        "low": low,
    })
}

/// SARIF 2.1.0: one rule per [`Kind`], one result per finding located at its URL, and the
/// targets that could not be audited as tool execution notifications.
pub fn sarif(reports: &[TargetReport]) -> Value {
    let rules: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| {
            json!({
                "id": k.as_str(),
                "name": k.as_str(),
                "shortDescription": { "text": k.summary() },
                "help": { "text": k.fix() },
                "defaultConfiguration": { "level": k.severity(true).sarif_level() },
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        for f in &r.findings {
            let creds = if f.credentials { " with credentials" } else { "" };
            let detail = f.detail.as_ref().map(|d| format!(" Observed: {d}.")).unwrap_or_default();
            results.push(json!({
                "ruleId": f.kind.as_str(),
                "ruleIndex": Kind::ALL.iter().position(|k| *k == f.kind),
                "level": f.severity.sarif_level(),
                "message": { "text": format!("{}: Origin {} is allowed{creds}. {}{detail} Replay: {}", f.kind, f.origin, f.kind.summary(), f.replay) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": r.url } } }],
                "properties": { "severity": f.severity.as_str(), "origin": f.origin, "credentials": f.credentials },
            }));
        }
    }
    let notifications: Vec<Value> = reports
        .iter()
        .filter_map(|r| {
            r.error.as_ref().map(|e| json!({ "level": "error", "message": { "text": format!("{}: {e}", r.url) } }))
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "corsair",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/corsair",
                "rules": rules,
            } },
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

/// Text as HTML character data or a double-quoted attribute value: every byte a server or a
/// target list controls passes through here, so a hostile header cannot add markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_headers(headers: &[(String, String)]) -> String {
    headers.iter().map(|(n, v)| format!("{}: {}\n", escape(n), escape(v))).collect()
}

/// One HTML page, no scripts and no external resources (inline CSS only): the summary, then each
/// target with its findings most severe first (evidence, fix, replay) and notes.
pub fn html(reports: &[TargetReport]) -> String {
    let s = Summary::of(reports);
    let [low, medium, high] = s.by_severity;
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>corsair audit</title>\n<style>\n\
         body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}\n\
         pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap;word-break:break-all}\n\
         .high{color:#b00020}.medium{color:#b36b00}.low{color:#555}\n\
         section{border-top:1px solid #ccc;margin-top:1.5em}\n</style></head><body>\n",
    );
    out.push_str(&format!(
        "<h1>corsair audit</h1>\n<p>{} target{}, {} finding{} ({high} high, {medium} medium, {low} low), {} could not be audited. corsair {}.</p>\n",
        s.targets,
        plural(s.targets),
        s.findings(),
        plural(s.findings()),
        s.errors,
        env!("CARGO_PKG_VERSION")
    ));
    for r in reports {
        out.push_str(&format!("<section>\n<h2>{}</h2>\n", escape(&r.url)));
        if let Some(site) = &r.site {
            out.push_str(&format!("<p>site {}</p>\n", escape(site)));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("<p><strong>could not be audited:</strong> {}</p>\n", escape(e)));
        } else if r.findings.is_empty() {
            out.push_str("<p>no findings</p>\n");
        }
        for f in &r.findings {
            let sev = f.severity.as_str();
            let creds = if f.credentials { "with credentials" } else { "without credentials" };
            out.push_str(&format!(
                "<h3 class=\"{sev}\">{} {}</h3>\n<p>origin <code>{}</code>, {creds}. {}</p>\n",
                sev.to_ascii_uppercase(),
                f.kind,
                escape(&f.origin),
                escape(f.kind.summary())
            ));
            if let Some(detail) = &f.detail {
                out.push_str(&format!("<p>observed: {}</p>\n", escape(detail)));
            }
            out.push_str(&format!(
                "<p>fix: {}</p>\n<pre>{} {}\n{}</pre>\n<pre>{} {}</pre>\n<p>replay:</p><pre>{}</pre>\n",
                escape(f.fix),
                escape(&f.evidence.method),
                escape(&r.url),
                html_headers(&f.evidence.request_headers),
                f.evidence.status,
                html_headers(&f.evidence.response_headers),
                escape(&f.replay)
            ));
        }
        if !r.notes.is_empty() {
            out.push_str("<ul>\n");
            for n in &r.notes {
                out.push_str(&format!("<li>note: {}</li>\n", escape(n)));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Evidence;

    fn report(kinds: &[(Kind, bool)]) -> TargetReport {
        TargetReport {
            url: "https://api.example.test/".to_owned(),
            site: Some("example.test".to_owned()),
            findings: kinds
                .iter()
                .map(|&(kind, credentials)| Finding {
                    kind,
                    severity: kind.severity(credentials),
                    origin: "https://evil.example".to_owned(),
                    credentials,
                    evidence: Evidence {
                        method: "GET".to_owned(),
                        request_headers: vec![("Origin".to_owned(), "https://evil.example".to_owned())],
                        status: 200,
                        response_headers: vec![],
                    },
                    fix: kind.fix(),
                    replay: "corsair check ...".to_owned(),
                    detail: None,
                })
                .collect(),
            notes: vec![],
            error: None,
        }
    }

    #[test]
    fn summary_counts_by_severity() {
        let s = Summary::of(&[report(&[(Kind::OriginReflection, true), (Kind::MissingVaryOrigin, false)])]);
        assert_eq!(s.by_severity, [1, 0, 1]);
        assert!(s.any_at_least(Severity::High));
        let low = Summary::of(&[report(&[(Kind::MissingVaryOrigin, false)])]);
        assert!(!low.any_at_least(Severity::Medium));
        assert!(low.any_at_least(Severity::Low));
    }

    #[test]
    fn html_escapes_everything_a_server_controls() {
        let mut r = report(&[(Kind::OriginReflection, true)]);
        let hostile = "<script>alert(1)</script>\"'&";
        r.url = format!("https://api.example.test/{hostile}");
        r.notes.push(hostile.to_owned());
        r.findings[0].evidence.response_headers.push(("x-evil".to_owned(), hostile.to_owned()));
        r.findings[0].detail = Some(hostile.to_owned());
        let page = html(&[r]);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("\"'&"), "{page}");
        assert_eq!(page.matches("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;").count(), 5, "{page}");
        assert!(page.contains("<h3 class=\"high\">HIGH origin-reflection</h3>"));
    }

    #[test]
    fn sarif_has_the_required_shape() {
        let v = sarif(&[report(&[(Kind::NullOriginTrusted, true)])]);
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len(), Kind::ALL.len());
        let result = &v["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "null-origin-trusted");
        assert_eq!(result["ruleIndex"], 1);
        assert_eq!(result["level"], "error");
        assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "https://api.example.test/");
    }
}
