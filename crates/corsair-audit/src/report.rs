//! Rendering reports: text for people, JSON for scripts, SARIF 2.1.0 for code scanning.
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
            out.push_str(&format!("  {:<6} {}: {what}\n", f.severity.as_str().to_ascii_uppercase(), f.kind));
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
    let s = Summary::of(reports);
    let [low, medium, high] = s.by_severity;
    json!({
        "targets": reports.iter().map(|r| json!({
            "url": r.url,
            "site": r.site,
            "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
            "notes": r.notes,
            "error": r.error,
        })).collect::<Vec<_>>(),
        "summary": {
            "targets": s.targets,
            "errors": s.errors,
            "findings": s.findings(),
            "high": high,
            "medium": medium,
            "low": low,
        },
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
