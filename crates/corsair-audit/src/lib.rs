//! # corsair-audit
//!
//! Finds insecure CORS on live URLs without crying wolf. Each [`Kind`] of finding is proven by
//! one request whose `Origin` a correct server refuses (an unrelated site, `null`, a lookalike of
//! a trusted host, ...), sent by [`corsair_probe`] the way a browser sends a credentialed `fetch`,
//! and judged with the browser model's own access check ([`corsair_core::browser::check_access`]).
//! Public data served with `*` and no credentials is not a finding; neither is an allow-list of
//! the site's https subdomains.
//!
//! ```no_run
//! # async fn demo() {
//! use corsair_audit::{AuditOptions, Auditor};
//!
//! let auditor = Auditor::new(AuditOptions::default()).unwrap();
//! let report = auditor.audit("https://api.example.com/me").await;
//! for finding in &report.findings {
//!     println!("{} {} via {}", finding.severity, finding.kind, finding.origin);
//! }
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod finding;
pub mod probes;
pub mod report;

use std::sync::Arc;
use std::time::Duration;

use corsair_core::browser::{check_access, Credentials, Intent, RedirectMode, Response};
use corsair_core::Origin;
use corsair_probe::{Probe, ProbeOptions, TransportError};
use url::Url;

pub use finding::{Evidence, Finding, Kind, Severity, TargetReport};

/// How an audit runs.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// How to connect (resolve overrides, timeout per exchange, TLS).
    pub probe: ProbeOptions,
    /// The site's registrable domain, instead of the one the Public Suffix List gives.
    pub site: Option<String>,
    /// At most this many requests per second, over all targets (`None`: no limit).
    pub rate: Option<f64>,
}

/// Runs audits; share one between tasks with an [`Arc`].
pub struct Auditor {
    probe: Probe,
    options: AuditOptions,
    pacer: Option<Pacer>,
}

/// One probe's request and answer, judged.
struct Answer {
    origin: Origin,
    response: Response,
    evidence: Evidence,
    /// `Access-Control-Allow-Origin` is exactly the probe origin.
    echoed: bool,
    /// ... and a credentialed fetch passes the browser's access check.
    credentials: bool,
}

/// Why a probe got no answer to judge.
enum AskError {
    /// The network failed.
    Transport(TransportError),
    /// The browser model would not send the request (it says why).
    NotSent(String),
}

impl std::fmt::Display for AskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AskError::Transport(e) => write!(f, "{e}"),
            AskError::NotSent(why) => write!(f, "a browser would not send the request: {why}"),
        }
    }
}

impl Auditor {
    /// Builds the prober (TLS roots, or none with `insecure`).
    pub fn new(options: AuditOptions) -> Result<Auditor, TransportError> {
        let probe = Probe::new(options.probe.clone())?;
        let pacer = options
            .rate
            .filter(|r| *r > 0.0)
            .map(|r| Pacer { interval: Duration::from_secs_f64(1.0 / r), next: tokio::sync::Mutex::new(None) });
        Ok(Auditor { probe, options, pacer })
    }

    /// Audits many URLs, at most `concurrency` at once; a slow or dead host holds only its own
    /// slot. `on_done` sees each report as it completes; the result keeps the input order.
    pub async fn audit_all(
        self: Arc<Self>,
        urls: Vec<String>,
        concurrency: usize,
        on_done: &mut dyn FnMut(&TargetReport),
    ) -> Vec<TargetReport> {
        let slots = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, url) in urls.iter().enumerate() {
            let (auditor, slots, url) = (self.clone(), slots.clone(), url.clone());
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                (i, auditor.audit(&url).await)
            });
        }
        let mut reports: Vec<Option<TargetReport>> = vec![None; urls.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((i, report)) = joined {
                on_done(&report);
                reports[i] = Some(report);
            }
        }
        reports
            .into_iter()
            .zip(urls)
            .map(|(r, url)| r.unwrap_or_else(|| failed(url, None, "the audit task panicked".to_owned())))
            .collect()
    }

    /// Audits one URL.
    pub async fn audit(&self, text: &str) -> TargetReport {
        let url = match Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            Ok(_) => return failed(text.to_owned(), None, "not an http:// or https:// URL".to_owned()),
            Err(e) => return failed(text.to_owned(), None, format!("not a URL: {e}")),
        };
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned();
        let site = self.options.site.clone().unwrap_or_else(|| probes::site_of(&host));
        let mut run = Run { auditor: self, url: &url, answers: Vec::new(), findings: Vec::new(), notes: Vec::new() };
        let error = run.probe_all(&host, &site).await.err().map(|e| e.to_string());
        let Run { answers, mut findings, mut notes, .. } = run;
        findings.extend(whole_response_findings(&answers, &mut notes, &url, &self.options.probe));
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
        TargetReport { url: text.to_owned(), site: Some(site), findings, notes, error }
    }

    /// Sends one credentialed `GET` from `origin`, as a page on it would, and judges the answer.
    async fn ask(&self, url: &Url, origin: &Origin) -> Result<Answer, AskError> {
        if let Some(pacer) = &self.pacer {
            pacer.wait().await;
        }
        let intent =
            Intent::new(url.clone(), origin.clone()).credentials(Credentials::Include).redirect(RedirectMode::Manual);
        let transcript = self.probe.run(intent).await;
        let Some(exchange) = transcript.exchanges.into_iter().next() else {
            return Err(AskError::NotSent(
                transcript.verdict.console_message().unwrap_or_else(|| "no request".to_owned()),
            ));
        };
        let received = exchange.response.map_err(AskError::Transport)?;
        let response = received.response;
        let echoed = response.normalized("access-control-allow-origin").as_deref() == Some(origin.as_str().as_bytes());
        let credentials = echoed && check_access(&response, origin, true).is_ok();
        let evidence = evidence(&exchange.request, &response);
        Ok(Answer { origin: origin.clone(), response, evidence, echoed, credentials })
    }

    /// Sends only the preflight of a credentialed request from `origin` with a method and a
    /// header no API lists (the request itself, which might change state, is never sent).
    /// Returns the preflight's evidence when the browser model accepts it.
    async fn ask_preflight(&self, url: &Url, origin: &Origin) -> Result<Option<(Evidence, String)>, AskError> {
        if let Some(pacer) = &self.pacer {
            pacer.wait().await;
        }
        let header = format!("x-{}", probes::random_label());
        let intent = Intent::new(url.clone(), origin.clone())
            .method(probes::PREFLIGHT_METHOD)
            .header(&header, "1")
            .credentials(Credentials::Include)
            .redirect(RedirectMode::Manual);
        match self.probe.preflight_only(intent).await {
            // Stopped before the actual request: the preflight passed.
            corsair_probe::Run::Stopped(stopped) => {
                let Some(exchange) = stopped.exchanges.into_iter().last() else { return Ok(None) };
                let response = exchange.response.map_err(AskError::Transport)?.response;
                Ok(Some((evidence(&exchange.request, &response), header)))
            }
            corsair_probe::Run::Done(transcript) => match transcript.transport_error() {
                Some(e) => Err(AskError::Transport(e.clone())),
                None => Ok(None),
            },
        }
    }
}

fn evidence(request: &corsair_core::browser::Request, response: &Response) -> Evidence {
    Evidence {
        method: request.method.clone(),
        request_headers: request.headers.clone(),
        status: response.status,
        response_headers: response
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect(),
    }
}

/// The probes of one target and what they found so far.
struct Run<'a> {
    auditor: &'a Auditor,
    url: &'a Url,
    answers: Vec<Answer>,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl Run<'_> {
    /// Sends `origin`; true if the server echoed it. Keeps the answer for the whole-response checks.
    async fn send(&mut self, origin: Option<Origin>) -> Result<bool, AskError> {
        let Some(origin) = origin else { return Ok(false) };
        if origin.same_origin_as(self.url) {
            // A browser sends no CORS request to its own origin.
            return Ok(false);
        }
        let answer = self.auditor.ask(self.url, &origin).await?;
        let echoed = answer.echoed;
        self.answers.push(answer);
        Ok(echoed)
    }

    /// Sends `origins` until one is echoed, which proves `kind`.
    async fn prove(&mut self, kind: Kind, origins: Vec<Origin>) -> Result<bool, AskError> {
        for origin in origins {
            if self.send(Some(origin)).await? {
                if let Some(answer) = self.answers.last() {
                    let finding = finding(kind, answer, self.url, &self.auditor.options.probe);
                    self.findings.push(finding);
                }
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn probe_all(&mut self, host: &str, site: &str) -> Result<(), AskError> {
        self.probe_origins(host, site).await?;
        self.probe_preflight().await
    }

    /// Sends the permissive preflight from an origin the server allows with credentials,
    /// preferring one that is a finding. Passing it from an untrusted origin is a finding; from
    /// a trusted one, a note (the page that could abuse it could already read).
    async fn probe_preflight(&mut self) -> Result<(), AskError> {
        let untrusted = self.findings.iter().find(|f| f.credentials).and_then(|f| Origin::parse(&f.origin).ok());
        let trusted = self.answers.iter().find(|a| a.credentials).map(|a| a.origin.clone());
        let Some(origin) = untrusted.clone().or(trusted) else { return Ok(()) };
        let Some((evidence, header)) = self.auditor.ask_preflight(self.url, &origin).await? else { return Ok(()) };
        let what = format!(
            "a preflight from {origin} for method {} with a made-up header passed with credentials",
            probes::PREFLIGHT_METHOD
        );
        if untrusted.is_some() {
            let kind = Kind::PermissivePreflightWithCredentials;
            self.findings.push(Finding {
                kind,
                severity: kind.severity(true),
                origin: origin.to_string(),
                credentials: true,
                evidence,
                fix: kind.fix(),
                replay: replay_preflight(self.url, &origin, &header, &self.auditor.options.probe),
                detail: Some(what),
            });
        } else {
            self.notes.push(format!(
                "{what}: the server allows any method and header; list the ones the API uses (not a finding: {origin} is trusted)"
            ));
        }
        Ok(())
    }

    async fn probe_origins(&mut self, host: &str, site: &str) -> Result<(), AskError> {
        let scheme = self.url.scheme().to_owned();
        let unrelated = probes::origin(&scheme, &format!("{}.example", probes::random_label()));
        let reflects = self.prove(Kind::OriginReflection, unrelated.into_iter().collect()).await?;
        self.prove(Kind::NullOriginTrusted, vec![Origin::null()]).await?;

        // The site's usual origins: whichever the server trusts are the hosts lookalikes imitate.
        let mut trusted: Vec<String> = vec![host.to_owned()];
        for candidate in [site.to_owned(), format!("www.{site}"), host.to_owned()] {
            let origin = probes::origin(&scheme, &candidate);
            if self.send(origin).await? && !trusted.contains(&candidate) {
                trusted.push(candidate);
            }
        }
        if reflects {
            self.notes.push(
                "every origin is echoed, so the lookalike probes (suffix, prefix, dot, special characters, \
                 http://, localhost) were not sent: they would all pass"
                    .to_owned(),
            );
            return Ok(());
        }

        // `wwwx<site>` ends with the site and `<host>_.evil.example` starts with the host: once
        // the broader match is proven, the narrower probe proves nothing new.
        let suffix = self.prove(Kind::SuffixMatchBypass, probes::suffix(&scheme, site).into_iter().collect()).await?;
        let prefixed = trusted.iter().filter_map(|h| probes::prefix(&scheme, h)).collect();
        let prefix = self.prove(Kind::PrefixMatchBypass, prefixed).await?;
        if suffix {
            self.notes.push("unescaped-dot probe not sent: suffix-match-bypass already allows such names".to_owned());
        } else {
            let dotted = trusted.iter().filter_map(|h| probes::unescaped_dot(&scheme, h, site)).collect();
            self.prove(Kind::UnescapedDotBypass, dotted).await?;
        }
        if prefix {
            self.notes
                .push("special-character probe not sent: prefix-match-bypass already allows such names".to_owned());
        } else {
            let special = trusted.iter().flat_map(|h| probes::special(&scheme, h)).collect();
            self.prove(Kind::SpecialCharacterBypass, special).await?;
        }
        if scheme == "https" {
            let insecure = trusted.iter().filter_map(|h| probes::origin("http", h)).collect();
            self.prove(Kind::InsecureSchemeTrusted, insecure).await?;
        }
        if !corsair_core::origin::is_loopback_host(host) {
            self.prove(Kind::LocalhostTrusted, probes::localhost()).await?;
        }
        let any_subdomain = probes::origin(&scheme, &format!("{}.{site}", probes::random_label()));
        if self.send(any_subdomain.clone()).await? {
            if let Some(o) = any_subdomain {
                self.notes.push(format!(
                    "any subdomain of {site} is trusted ({o} was allowed): a takeover or XSS on any of them reads this URL"
                ));
            }
        }
        Ok(())
    }
}

/// The kinds that show in a response whatever the origin: `*` with credentials, several
/// `Access-Control-Allow-Origin` values, and one that changes with `Origin` without
/// `Vary: Origin` (proven outright when a cache hands one probe another probe's origin).
fn whole_response_findings(
    answers: &[Answer],
    notes: &mut Vec<String>,
    url: &Url,
    options: &ProbeOptions,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let acao = |a: &Answer| a.response.normalized("access-control-allow-origin");
    let acac = |a: &Answer| a.response.normalized("access-control-allow-credentials");
    if let Some(a) = answers.iter().find(|a| acao(a).as_deref() == Some(b"*") && acac(a).as_deref() == Some(b"true")) {
        let mut f = finding(Kind::WildcardWithCredentials, a, url, options);
        f.credentials = true;
        f.severity = Kind::WildcardWithCredentials.severity(true);
        out.push(f);
    } else if !answers.is_empty() && answers.iter().all(|a| acao(a).as_deref() == Some(b"*")) {
        notes.push("public: `Access-Control-Allow-Origin: *` without credentials (not a finding)".to_owned());
    }
    // `normalized` joins repeated lines with `, `; no origin holds a comma or a space.
    if let Some(a) = answers.iter().find(|a| acao(a).is_some_and(|v| v.iter().any(|b| matches!(b, b',' | b' ')))) {
        let mut f = finding(Kind::MultipleAllowOriginValues, a, url, options);
        let lines = a.response.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"));
        f.detail = Some(format!(
            "{} Access-Control-Allow-Origin line(s), together `{}`: browsers refuse the response",
            lines.count(),
            String::from_utf8_lossy(&acao(a).unwrap_or_default())
        ));
        out.push(f);
    }
    if let Some((served, first)) = served_from_cache(answers) {
        if !answers[served].response.varies_on("origin") {
            let mut f = finding(Kind::MissingVaryOrigin, &answers[served], url, options);
            f.detail = Some(format!(
                "served from a cache: the request from {} got `Access-Control-Allow-Origin: {}`, the answer to an earlier request from that origin",
                answers[served].origin, answers[first].origin
            ));
            out.push(f);
            return out;
        }
    }
    let mut values: Vec<Option<Vec<u8>>> = answers.iter().map(acao).collect();
    values.sort();
    values.dedup();
    if values.len() > 1 {
        let unvaried = answers.iter().find(|a| acao(a).is_some_and(|v| v != b"*") && !a.response.varies_on("origin"));
        if let Some(a) = unvaried {
            out.push(finding(Kind::MissingVaryOrigin, a, url, options));
        }
    }
    out
}

/// `(later, earlier)`: a later answer allows exactly the origin of an earlier request, which it
/// did not send, and no answer before that earlier request named it. The server could not know
/// that origin (the first probe's is random), so a cache keyed without `Origin` replayed it.
fn served_from_cache(answers: &[Answer]) -> Option<(usize, usize)> {
    let acao = |a: &Answer| a.response.normalized("access-control-allow-origin");
    for (first, earlier) in answers.iter().enumerate() {
        let name = earlier.origin.as_str().as_bytes();
        if !earlier.echoed || answers[..first].iter().any(|a| acao(a).as_deref() == Some(name)) {
            continue;
        }
        let served = answers[first + 1..]
            .iter()
            .position(|a| a.origin != earlier.origin && acao(a).as_deref() == Some(name))
            .map(|i| first + 1 + i);
        if let Some(served) = served {
            return Some((served, first));
        }
    }
    None
}

fn finding(kind: Kind, answer: &Answer, url: &Url, options: &ProbeOptions) -> Finding {
    Finding {
        kind,
        severity: kind.severity(answer.credentials),
        origin: answer.origin.to_string(),
        credentials: answer.credentials,
        evidence: answer.evidence.clone(),
        fix: kind.fix(),
        replay: replay(url, &answer.origin, options),
        detail: None,
    }
}

/// The `corsair check --preflight-only` command that sends the same preflight.
pub fn replay_preflight(url: &Url, origin: &Origin, header: &str, options: &ProbeOptions) -> String {
    let base = replay(url, origin, options);
    let extra =
        format!(" -X {} -H {} --preflight-only", probes::PREFLIGHT_METHOD, shell_quote(&format!("{header}: 1")));
    match base.find(" --credentials") {
        Some(at) => format!("{}{extra}{}", &base[..at], &base[at..]),
        None => base + &extra,
    }
}

/// The `corsair check` command that sends the same request and shows the same answer.
pub fn replay(url: &Url, origin: &Origin, options: &ProbeOptions) -> String {
    let mut cmd = format!(
        "corsair check {} --origin {} --credentials include --redirect manual",
        shell_quote(url.as_str()),
        shell_quote(origin.as_str())
    );
    for r in &options.resolve {
        cmd.push_str(&format!(" --resolve {}", shell_quote(&r.to_string())));
    }
    if options.insecure {
        cmd.push_str(" -k");
    }
    cmd
}

/// `text` as one shell word.
fn shell_quote(text: &str) -> String {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/[]@%+=,".contains(&b)) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn failed(url: String, site: Option<String>, error: String) -> TargetReport {
    TargetReport { url, site, findings: Vec::new(), notes: Vec::new(), error: Some(error) }
}

/// Spaces requests evenly over all targets (`--rate`).
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_quotes_what_the_shell_would_split() {
        let url = Url::parse("https://api.example.test/me?a=1&b=2").unwrap();
        let origin = Origin::parse("https://www.example.test_.evil.example").unwrap();
        let options = ProbeOptions {
            resolve: vec!["api.example.test:443:127.0.0.2".parse().unwrap()],
            insecure: true,
            ..ProbeOptions::default()
        };
        assert_eq!(
            replay(&url, &origin, &options),
            "corsair check 'https://api.example.test/me?a=1&b=2' --origin https://www.example.test_.evil.example \
             --credentials include --redirect manual --resolve api.example.test:443:127.0.0.2 -k"
        );
    }

    #[test]
    fn severity_rises_with_credentials() {
        for kind in Kind::ALL {
            assert!(kind.severity(true) >= kind.severity(false), "{kind}");
        }
        assert_eq!(Kind::OriginReflection.severity(true), Severity::High);
        assert_eq!(Kind::OriginReflection.severity(false), Severity::Low);
    }
}
