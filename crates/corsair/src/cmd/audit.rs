//! `corsair audit`: flags in, [`corsair_audit`] reports out. The scanning and the formats live
//! in the library; this module reads the target list, runs the auditor and picks the exit status.

use std::io::{BufRead, Write};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use corsair_audit::report::{self, Summary};
use corsair_audit::{AuditOptions, Auditor, Severity};

use crate::cmd::check::{NetArgs, UsageError};
use crate::cmd::style::Style;
use crate::status::Status;

/// Exit statuses of `corsair audit`.
const AUDIT_EXIT_HELP: &str = "\
Exit status:
  0  no finding at or above --fail-on, every target audited
  1  a finding at or above --fail-on
  2  usage error, unreadable input, or some target could not be audited (and no finding)";

/// `corsair audit URL... [-i FILE|-]`.
#[derive(Debug, Args)]
#[command(after_help = AUDIT_EXIT_HELP)]
pub struct AuditArgs {
    /// URLs to audit.
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,
    /// Read more URLs from FILE, one per line (`-` for stdin; `#` starts a comment).
    #[arg(long = "input", short = 'i', value_name = "FILE")]
    pub input: Option<String>,
    /// Targets audited at once.
    #[arg(long = "concurrency", short = 'j', default_value_t = 32, value_name = "N")]
    pub concurrency: usize,
    /// At most N requests per second over all targets (`N` or `N/s`).
    #[arg(long, value_name = "N/s")]
    pub rate: Option<String>,
    /// The site's registrable domain, when the Public Suffix List's is not the one you mean.
    #[arg(long, value_name = "DOMAIN")]
    pub site: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,
    /// How to reach the servers.
    #[command(flatten)]
    pub net: NetArgs,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: findings most severe first, each with its fix and replay command.
    Text,
    /// The JSON contract (`targets[].findings[].kind`, ...).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// One self-contained HTML page (no scripts, no external resources), to attach to a ticket.
    Html,
    /// JSON Lines, streamed: one `targets[]` object per target as it finishes (in finishing
    /// order), then `{"summary": ...}`; for tools that read while a long scan runs.
    Jsonl,
}

/// The last line of `--format jsonl`.
#[derive(serde::Serialize)]
struct JsonlSummary {
    /// The same object as the JSON report's `summary`.
    summary: serde_json::Value,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding.
    Low,
    /// Medium and high findings.
    Medium,
    /// High findings only.
    High,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }
    }
}

/// Runs the audit; `stdin` is read only for `-i -`.
pub fn run(args: AuditArgs, stdin: &mut dyn BufRead, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    match prepare(&args, stdin) {
        Ok((urls, options)) => audit(args, urls, options, out, err),
        Err(UsageError(m)) => {
            let _ = writeln!(err, "error: {m}");
            Status::Usage
        }
    }
}

fn prepare(args: &AuditArgs, stdin: &mut dyn BufRead) -> Result<(Vec<String>, AuditOptions), UsageError> {
    let mut urls = args.urls.clone();
    if let Some(input) = &args.input {
        let text = if input == "-" {
            let mut text = String::new();
            stdin.read_to_string(&mut text).map_err(|e| UsageError(format!("-i -: {e}")))?;
            text
        } else {
            std::fs::read_to_string(input).map_err(|e| UsageError(format!("-i {input}: {e}")))?
        };
        urls.extend(
            text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()).map(str::to_owned),
        );
    }
    if urls.is_empty() {
        return Err(UsageError("no URL to audit: give URLs or -i FILE".to_owned()));
    }
    if args.concurrency == 0 {
        return Err(UsageError("-j 0: give at least 1".to_owned()));
    }
    let rate = match &args.rate {
        None => None,
        Some(r) => {
            let n = r.strip_suffix("/s").unwrap_or(r);
            match n.parse::<f64>() {
                Ok(n) if n > 0.0 && n.is_finite() => Some(n),
                _ => return Err(UsageError(format!("--rate {r}: give requests per second, e.g. 10/s"))),
            }
        }
    };
    let site = args.site.as_ref().map(|s| s.trim_matches('.').to_ascii_lowercase());
    Ok((urls, AuditOptions { probe: args.net.options()?, site, rate }))
}

fn audit(
    args: AuditArgs,
    urls: Vec<String>,
    options: AuditOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Status {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the runtime: {e}");
            return Status::Usage;
        }
    };
    let auditor = match Auditor::new(options) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Status::Usage;
        }
    };
    let many = urls.len() > 1;
    let total = urls.len();
    let mut finished = 0usize;
    let mut found = 0usize;
    // On a terminal one line is rewritten in place; logs and pipes get a line per target.
    let tty = many && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let stream = args.format == Format::Jsonl;
    let reports = runtime.block_on(auditor.audit_all(urls, args.concurrency, &mut |r| {
        if stream {
            let _ = crate::report::write_json(out, &report::target_json(r));
            let _ = out.flush();
        }
        finished += 1;
        found += r.findings.len();
        if tty {
            let _ = write!(
                err,
                "\r\x1b[2K[{finished}/{total}] {found} finding{} so far",
                if found == 1 { "" } else { "s" }
            );
            let _ = err.flush();
        } else if many {
            let _ = writeln!(err, "[{finished}/{total}] {}", r.url);
        }
    }));
    if tty {
        let _ = writeln!(err);
    }
    let style = Style::for_stdout();
    let paint = |severity: Severity, word: &str| match severity {
        Severity::High => style.red(word),
        Severity::Medium => style.yellow(word),
        Severity::Low => style.bold(word),
    };
    let rendered = match args.format {
        Format::Text => report::text_with(&reports, &paint),
        Format::Jsonl => {
            let mut line = Vec::new();
            let _ = crate::report::write_json(&mut line, &JsonlSummary { summary: report::summary_json(&reports) });
            String::from_utf8_lossy(&line).into_owned()
        }
        Format::Json => format!("{}\n", report::json(&reports)),
        Format::Sarif => format!("{:#}\n", report::sarif(&reports)),
        Format::Html => report::html(&reports),
    };
    let _ = out.write_all(rendered.as_bytes());
    let summary = Summary::of(&reports);
    if summary.any_at_least(args.fail_on.into()) {
        Status::Findings
    } else if summary.errors > 0 {
        Status::Usage
    } else {
        Status::Ok
    }
}
