//! A dropped HAR: every cross-origin request replayed by the core's browser model, as
//! `corsair explain --har` replays it, with each request's diagnosis and its exchange drawn.

use corsair_core::browser::{Diagnosis, SendKind, Verdict};
use corsair_core::har::{self, Finding, Har, Judged, Outcome};
use serde_json::{json, Value};

use crate::diagram::{shown_header, Arrow, Diagram};

/// The whole file's report, or `{"error": ...}` when it is no HAR.
pub fn explain(text: &str) -> Value {
    if text.len() > har::MAX_BYTES {
        return crate::failure(&har::HarError::TooLarge { bytes: text.len() }.to_string());
    }
    let har = match Har::parse(text) {
        Ok(h) => h,
        Err(e) => return crate::failure(&e.to_string()),
    };
    let replay = har::replay(&har);
    let summary = replay.summary();
    json!({
        "har": { "creator": har.creator, "version": har.creator_version, "engine": har.engine.name() },
        "note": har.words_note(),
        "summary": {
            "cross_origin": summary.cross_origin,
            "blocked": summary.blocked,
            "allowed": summary.allowed,
            "incomplete": summary.incomplete,
            "blocked_not_in_har": summary.blocked_not_in_har,
            "same_origin": summary.same_origin,
            "not_cors": summary.not_cors,
            "text": summary.to_string(),
        },
        "requests": replay.requests.iter().map(request).collect::<Vec<_>>(),
    })
}

fn request(j: &Judged) -> Value {
    let finding = j.finding();
    let answered: Vec<_> = j.exchanges.iter().map(|(q, r, _)| (q, r)).collect();
    let (verdict, missing) = match &j.outcome {
        Outcome::Judged(v) => (Some(v), None),
        Outcome::Incomplete { missing, .. } => (None, Some(missing)),
    };
    let blocked = match verdict {
        Some(Verdict::Blocked(b)) => Some(b),
        _ => None,
    };
    let diagnosis = verdict.and_then(|v| Diagnosis::of(&answered, v)).map(|d| {
        json!({
            "why": d.why,
            "why_from_answers": d.why_from_answers,
            "fix_in_page": d.fix_in_page,
            "fix": d.fix.map(|f| json!({"summary": f.summary, "headers": f.headers, "remove": f.remove})),
            "also": d.also.iter().map(|c| json!({"explanation": c.explanation(), "fix": c.fix()})).collect::<Vec<_>>(),
        })
    });
    let allowed = match verdict {
        Some(Verdict::Allowed(a)) => Some(
            json!({"status": a.status, "response_type": a.response_type.as_str(), "readable_headers": a.readable_headers}),
        ),
        _ => None,
    };
    json!({
        "entry": j.entry,
        "method": j.intent.method,
        "url": j.intent.url.as_str(),
        "page_origin": j.intent.page_origin.as_str(),
        "origin_from": j.origin_from.describe(),
        "credentials": j.intent.credentials.as_str(),
        "credentials_note": j.credentials_note(),
        "sanitised_note": j.sanitised_note(),
        "finding": finding.name(),
        "recorded_failure": j.recorded_failure,
        "browser_message": blocked.map(|b| b.console_message()),
        "error_kind": blocked.and_then(|b| b.cors_error()).map(|e| e.chromium_name()),
        "firefox": blocked.map(|b| json!({"lines": b.firefox_console_lines(), "reason_code": b.firefox_code()})),
        "diagnosis": diagnosis,
        "not_in_har": (finding == Finding::BlockedNotInHar).then_some(Finding::NOT_IN_HAR),
        "allowed": allowed,
        "warnings": verdict.map(|v| v.warnings().iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_default(),
        "missing": missing.map(|m| m.describe()),
        "fill_in": matches!(finding, Finding::Incomplete | Finding::BlockedNotInHar).then(|| j.check_command()),
        "diagram": diagram(j),
    })
}

/// Each recorded exchange as two arrows; the last answer marked when it blocked the fetch; the
/// request a failed preflight kept back, or the one the file lacks, after them.
fn diagram(j: &Judged) -> Value {
    let mut d = Diagram::new(j.intent.page_origin.as_str());
    // The failing answer is labelled with what failed: Chromium's error name, or the failure's kind.
    let failure = match &j.outcome {
        Outcome::Judged(Verdict::Blocked(b)) => {
            Some(b.cors_error().map_or_else(|| b.failure.kind(), |e| e.chromium_name()))
        }
        _ => None,
    };
    let blocked = failure.is_some();
    let last = j.exchanges.len().saturating_sub(1);
    for (i, (request, response, entry)) in j.exchanges.iter().enumerate() {
        let url = request.url.as_str();
        let preflight = request.kind == SendKind::Preflight;
        let details =
            request.headers.iter().filter(|(n, _)| shown_header(n)).map(|(n, v)| format!("{n}: {v}")).collect();
        let arrow = if preflight { Arrow::Preflight } else { Arrow::Request };
        d.step(arrow, url, format!("{} {url} (entry {entry})", request.method), details, false);
        let details: Vec<String> = response
            .headers
            .iter()
            .filter(|(n, _)| shown_header(n))
            .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v)))
            .collect();
        let redirect = (300..400).contains(&response.status)
            && response.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("location"));
        let arrow = if redirect { Arrow::Redirect } else { Arrow::Response };
        let failed = blocked && i == last;
        let label = match failure.filter(|_| failed) {
            Some(name) => format!("{} {name}", response.status),
            None => response.status.to_string(),
        };
        d.step(arrow, url, label, details, failed);
    }
    match &j.outcome {
        Outcome::Incomplete { wanted, .. } => {
            let url = wanted.url.as_str();
            d.step(Arrow::Missing, url, format!("{} {url} (not in the HAR)", wanted.method), Vec::new(), false);
        }
        Outcome::Judged(Verdict::Blocked(_))
            if j.exchanges.last().is_some_and(|(q, _, _)| q.kind == SendKind::Preflight) =>
        {
            let url = j.intent.url.as_str();
            d.step(Arrow::Unsent, url, format!("{} {url} (never sent)", j.intent.method), Vec::new(), false);
        }
        Outcome::Judged(_) => {}
    }
    d.to_json()
}
