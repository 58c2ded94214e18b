//! `corsair policy ...`: policy files.
//!
//! `policy check FILE` reads a policy file, applies a profile and the `CORSAIR_*` environment
//! overrides exactly as a server would, and prints either the normalised policy or every error
//! with its `FILE:LINE:COL`. A `[proxy]` table is checked as `corsair proxy` reads it.
//! `policy schema` prints the file's JSON Schema for editors.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use corsair_core::policy_file::MAX_POLICY_FILE_LEN;
use corsair_core::{ConfigErrors, Located, Policy, PolicyFile};
use corsair_gateway::config;

use crate::advice::{self, Advised};
use crate::json;
use crate::status::Status;

/// `corsair policy`'s exit statuses, as a literal for `concat!`.
macro_rules! policy_exit_help {
    () => {
        "\
Exit status:
  0  ok
  1  the policy has errors (each printed as `error: FILE:LINE:COL: message`)
  2  usage error, or the file could not be read"
    };
}

/// The keys, the environment and the exit status, after `policy check --help`. Policy-file
/// syntax errors point here for the list of keys.
const CHECK_HELP: &str = concat!(
    "\
Policy keys (top level; a [profiles.NAME] table overrides them key by key):
  allow_origins          origins and patterns: \"https://app.example.com\",
                         \"https://*.example.com\", \"http://localhost:*\", \"*\"
  allow_methods          methods beyond GET, HEAD and POST (\"*\" for any)
  allow_headers          request headers pages set (\"*\" for any)
  expose_headers         response headers scripts may read
  allow_credentials      allow cookies and HTTP auth [default: false]
  max_age                seconds browsers may cache a preflight, 0 to 86400 [default: no header]
  allow_private_network  answer Private Network Access preflights [default: false]
  forward_preflights     pass preflights on to the application [default: false]
  preflight_status       2xx status of allowed preflights [default: 204]
  refusal                \"omit-headers\", \"reject-preflight\" or \"reject-all\"
                         [default: \"reject-preflight\"]
  refusal_status         4xx or 5xx status of refusals [default: 403]
  dangerously_allow_null, dangerously_allow_insecure_origins   [default: false]

Environment overrides: CORSAIR_PROFILE, and CORSAIR_<KEY> for each key above, e.g.
  CORSAIR_ALLOW_ORIGINS=\"https://a.example,https://b.example\" (lists comma-separated).
A CORSAIR_ variable spelt like one of these (CORSAIR_ALLOW_ORIGIN) is an error; any other
CORSAIR_ name a warning.

A [proxy] table (`corsair proxy --help` lists its keys) is checked as corsair proxy reads it,
without requiring an upstream, which a flag may give.

",
    policy_exit_help!()
);

/// Flags of `corsair policy`.
#[derive(Debug, Args)]
#[command(after_help = policy_exit_help!())]
pub struct PolicyArgs {
    /// What to do with the policy file.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// The `policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and print it normalised, or print every error with its location.
    ///
    /// The profile comes from --profile, else from CORSAIR_PROFILE. CORSAIR_* environment
    /// variables override the file's keys, as they will in a running server.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Print the JSON Schema of policy files ([proxy] included), for editors.
    ///
    /// Taplo and Even Better TOML use it to complete keys and flag unknown keys and wrong kinds
    /// as you type: save it (corsair policy schema > corsair.schema.json) and put
    /// `#:schema ./corsair.schema.json` on the file's first line. The schema checks shape only;
    /// `corsair policy check` checks the values too.
    Schema,
}

/// Flags of `corsair policy check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The policy file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Apply the file's [profiles.NAME] table over its top-level keys [default: $CORSAIR_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats of `policy check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The normalised policy as TOML on stdout; warnings and errors on stderr.
    Text,
    /// One JSON object on stdout: {"ok", "file", "profile", "overrides", "errors", "warnings", "policy"}.
    Json,
}

/// Runs a `policy` subcommand.
pub fn run(args: PolicyArgs, env: &dyn Fn(&str) -> Option<String>, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    match args.command {
        PolicyCommand::Check(args) => check(&args, env, out, err),
        PolicyCommand::Schema => match out.write_all(config::json_schema().as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Status::Ok,
            Err(e) => {
                let _ = writeln!(err, "corsair: cannot write the schema: {e}");
                Status::Usage
            }
        },
    }
}

/// What `policy check` found, before it is rendered.
struct Report {
    /// The file name as the user wrote it; error locations use the same name.
    file: String,
    /// The profile applied, from `--profile` or `CORSAIR_PROFILE`.
    profile: Option<String>,
    /// The `CORSAIR_*` variables that were set and read (other than `CORSAIR_PROFILE`).
    overrides: Vec<String>,
    /// The policy, or every error in it.
    result: Result<Policy, ConfigErrors>,
    /// Warnings about the environment (other `CORSAIR_` names), before the policy's own.
    notes: Vec<String>,
}

fn check(args: &CheckArgs, env: &dyn Fn(&str) -> Option<String>, out: &mut dyn Write, err: &mut dyn Write) -> Status {
    let file = args.file.display().to_string();
    let text = match read_policy_text(&args.file) {
        Ok(text) => text,
        Err(reason) => {
            let _ = writeln!(err, "corsair: cannot read {file}: {reason}");
            return Status::Usage;
        }
    };
    let read_vars = RefCell::new(Vec::<String>::new());
    let recording_env = |name: &str| {
        let value = env(name);
        if value.is_some() && name != "CORSAIR_PROFILE" && !read_vars.borrow().iter().any(|v| v == name) {
            read_vars.borrow_mut().push(name.to_owned());
        }
        value
    };
    let result = PolicyFile::parse(&file, &text).and_then(|f| f.policy(args.profile.as_deref(), recording_env));
    // The whole file as `corsair proxy` reads it: its errors include the policy's.
    let dir = args.file.parent().map(Path::to_path_buf).unwrap_or_default();
    let source = config::Source { name: file.clone(), text, dir };
    let proxy = config::check_file(&source, args.profile.as_deref(), env);
    let names: Vec<String> = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).collect();
    let (variables, notes) = config::check_variables(names.iter().map(String::as_str));
    let result = merge(result, proxy, variables);
    let profile = args.profile.clone().or_else(|| env("CORSAIR_PROFILE").filter(|p| !p.is_empty()));
    let report = Report { file, profile, overrides: read_vars.into_inner(), result, notes };
    let written = match args.format {
        Format::Text => write_text(&report, out, err),
        Format::Json => write_json(&report, out),
    };
    match (written, &report.result) {
        // Nothing more can be said on a closed stream; the verdict still sets the status.
        (_, Ok(_)) => Status::Ok,
        (_, Err(_)) => Status::Findings,
    }
}

/// The policy, unless any reader found errors: the proxy reader's (which include the policy's),
/// the policy reader's it did not find, then the environment's, each once.
fn merge(
    policy: Result<Policy, ConfigErrors>,
    proxy: Result<(), ConfigErrors>,
    variables: ConfigErrors,
) -> Result<Policy, ConfigErrors> {
    let mut errors = proxy.err().unwrap_or_default();
    let found = match policy {
        Ok(p) if errors.is_empty() && variables.is_empty() => return Ok(p),
        Ok(_) => ConfigErrors::default(),
        Err(e) => e,
    };
    for e in found.into_iter().chain(variables) {
        if !errors.iter().any(|x| *x == e) {
            errors.push_at(e.error, e.location);
        }
    }
    Err(errors)
}

/// Reads the file as UTF-8, refusing files larger than the core would accept (so `/dev/zero`
/// cannot exhaust memory). The error is the reason, ready to print.
fn read_policy_text(path: &Path) -> Result<String, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_FILE_LEN as u64 + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() > MAX_POLICY_FILE_LEN {
        return Err(format!("it is larger than {MAX_POLICY_FILE_LEN} bytes, the most a policy file may be"));
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("it is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()))
}

fn write_text(report: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    match &report.result {
        Ok(policy) => {
            write!(out, "# corsair policy check: {}", report.file)?;
            if let Some(profile) = &report.profile {
                write!(out, " (profile {profile})")?;
            }
            writeln!(out, ": ok")?;
            if !report.overrides.is_empty() {
                writeln!(out, "# environment overrides: {}", report.overrides.join(", "))?;
            }
            out.write_all(policy.to_toml().as_bytes())?;
            out.flush()?;
            for warning in report.notes.iter().cloned().chain(policy.warnings()) {
                writeln!(err, "warning: {warning}")?;
            }
        }
        Err(errors) => {
            for note in &report.notes {
                writeln!(err, "warning: {note}")?;
            }
            for located in errors {
                writeln!(err, "error: {}", Advised(located))?;
            }
            let n = errors.len();
            writeln!(err, "corsair: {n} {} in {}", if n == 1 { "error" } else { "errors" }, report.file)?;
        }
    }
    Ok(())
}

fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::from("{");
    s.push_str(&format!("\"ok\":{}", report.result.is_ok()));
    s.push_str(",\"file\":");
    json::push_str(&mut s, &report.file);
    s.push_str(",\"profile\":");
    json::push_opt_str(&mut s, report.profile.as_deref());
    s.push_str(",\"overrides\":");
    json::push_str_array(&mut s, &report.overrides);
    s.push_str(",\"errors\":[");
    if let Err(errors) = &report.result {
        for (i, located) in errors.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            push_json_error(&mut s, located);
        }
    }
    s.push(']');
    let (mut warnings, toml) = match &report.result {
        Ok(policy) => (policy.warnings(), Some(policy.to_toml())),
        Err(_) => (Vec::new(), None),
    };
    warnings.splice(0..0, report.notes.iter().cloned());
    s.push_str(",\"warnings\":");
    json::push_str_array(&mut s, &warnings);
    s.push_str(",\"policy\":");
    json::push_opt_str(&mut s, toml.as_deref());
    s.push_str("}\n");
    out.write_all(s.as_bytes())?;
    out.flush()
}

/// `{"file", "line", "column", "key", "message"}`. `file` is the location's source: the file
/// name, or `environment variable CORSAIR_...`; `line` and `column` are null when the error has
/// no position (unknown profile, environment); `key` is the policy key, null for whole-file errors.
fn push_json_error(s: &mut String, located: &Located) {
    let (source, line, column) = match &located.location {
        Some(loc) if loc.line > 0 => (Some(loc.source.as_str()), Some(loc.line), Some(loc.column)),
        Some(loc) => (Some(loc.source.as_str()), None, None),
        None => (None, None, None),
    };
    let number = |n: Option<usize>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
    s.push_str("{\"file\":");
    json::push_opt_str(s, source);
    s.push_str(&format!(",\"line\":{},\"column\":{}", number(line), number(column)));
    s.push_str(",\"key\":");
    let key = located.error.field().key();
    json::push_opt_str(s, (!key.is_empty()).then_some(key));
    s.push_str(",\"message\":");
    json::push_str(s, &advice::message(&located.error));
    s.push('}');
}
