//! `corsair snippet`: a policy (a file's profile, or flags) written as config or code for one
//! stack by `corsair-snippet`. Parsing flags and printing is all that happens here.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use corsair_core::{Policy, PolicyFile};
use corsair_snippet::{render, Stack};

use crate::advice::AdvisedAll;
use crate::status::Status;

const SNIPPET_HELP: &str = "\
Exit status:
  0  the snippet was printed (warnings, if any, on stderr)
  1  the policy has errors, or the stack cannot express part of it (snippet printed, warnings on stderr)
  2  usage error (unknown stack, no policy given), or the file could not be read";

/// Flags of `corsair snippet`.
#[derive(Debug, Clone, Args)]
#[command(after_help = SNIPPET_HELP)]
pub struct SnippetArgs {
    /// The stack to write for (see --list).
    #[arg(long = "for", value_name = "STACK", required_unless_present = "list")]
    pub stack: Option<String>,
    /// List the stacks and how each snippet is verified.
    #[arg(long)]
    pub list: bool,
    /// A policy file (the same syntax as `corsair policy check` reads).
    #[arg(long, short = 'c', value_name = "FILE", conflicts_with_all = ["allow_origins", "allow_methods", "allow_headers", "allow_credentials", "expose_headers", "max_age", "dangerously_allow_insecure_origins"])]
    pub config: Option<PathBuf>,
    /// The profile of --config to use (else $CORSAIR_PROFILE).
    #[arg(long, requires = "config")]
    pub profile: Option<String>,
    /// An origin or pattern allowed to call (repeatable), without --config.
    #[arg(long = "allow-origin", value_name = "ORIGIN_OR_PATTERN")]
    pub allow_origins: Vec<String>,
    /// Allowed methods, comma-separated (GET,POST,PUT).
    #[arg(long, value_name = "LIST")]
    pub allow_methods: Option<String>,
    /// Allowed request headers, comma-separated.
    #[arg(long, value_name = "LIST")]
    pub allow_headers: Option<String>,
    /// Allow credentialed requests (cookies, HTTP auth).
    #[arg(long)]
    pub allow_credentials: bool,
    /// Response headers scripts may read, comma-separated.
    #[arg(long, value_name = "LIST")]
    pub expose_headers: Option<String>,
    /// How long browsers may cache a preflight, in seconds.
    #[arg(long, value_name = "SECS")]
    pub max_age: Option<u32>,
    /// Accept plain-http, non-loopback origins with credentials (anyone on the network path can
    /// act as them); without --config.
    #[arg(long)]
    pub dangerously_allow_insecure_origins: bool,
}

fn list(text: &Option<String>) -> Vec<String> {
    text.iter().flat_map(|t| t.split(',')).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// The policy from the file's profile, or from the flags.
pub(crate) fn policy(
    args: &SnippetArgs,
    env: &dyn Fn(&str) -> Option<String>,
    err: &mut dyn Write,
) -> Result<Policy, Status> {
    if let Some(path) = &args.config {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            let _ = writeln!(err, "corsair snippet: cannot read {name}: {e}");
            Status::Usage
        })?;
        let profile = args.profile.clone().or_else(|| env("CORSAIR_PROFILE"));
        return PolicyFile::parse(&name, &text).and_then(|f| f.policy(profile.as_deref(), env)).map_err(|errors| {
            let _ = writeln!(err, "{}", AdvisedAll(&errors));
            Status::Findings
        });
    }
    if args.allow_origins.is_empty() {
        let _ = writeln!(err, "corsair snippet: say which policy: --config FILE, or at least one --allow-origin");
        return Err(Status::Usage);
    }
    let mut builder = Policy::builder()
        .allow_origins(args.allow_origins.iter().cloned())
        .allow_credentials(args.allow_credentials)
        .dangerously_allow_insecure_origins(args.dangerously_allow_insecure_origins);
    if args.allow_methods.is_some() {
        builder = builder.allow_methods(list(&args.allow_methods));
    }
    if args.allow_headers.is_some() {
        builder = builder.allow_headers(list(&args.allow_headers));
    }
    if args.expose_headers.is_some() {
        builder = builder.expose_headers(list(&args.expose_headers));
    }
    if let Some(age) = args.max_age {
        builder = builder.max_age(age);
    }
    builder.build().map_err(|errors| {
        let _ = writeln!(err, "{errors}");
        Status::Findings
    })
}

/// The widest `--for` name, so `--list` lines up.
const NAME_WIDTH: usize = 18;

/// Prints the stacks (`--list`) or the snippet for one.
pub fn run(
    args: SnippetArgs,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Status {
    if args.list {
        for stack in Stack::ALL {
            let _ = writeln!(out, "{:<width$} {}", stack.name(), stack.description(), width = NAME_WIDTH);
        }
        return Status::Ok;
    }
    let name = args.stack.clone().unwrap_or_default();
    let Some(stack) = Stack::from_name(&name) else {
        let names: Vec<&str> = Stack::ALL.iter().map(|s| s.name()).collect();
        let _ = writeln!(err, "corsair snippet: no stack named {name:?}; one of: {}", names.join(", "));
        return Status::Usage;
    };
    let policy = match policy(&args, env, err) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let snippet = render(&policy, stack);
    let _ = write!(out, "{snippet}");
    for w in &snippet.warnings {
        let _ = writeln!(err, "warning: {stack} cannot express: {w}");
    }
    if snippet.warnings.is_empty() {
        Status::Ok
    } else {
        Status::Findings
    }
}
