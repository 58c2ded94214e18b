//! `corsair proxy`: run the CORS gateway (corsair-gateway) from flags and a config file, with
//! logs, signals and reloads. Everything it serves is decided in the gateway and the core.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::{Args, ValueEnum};
use corsair_gateway::config::{self, Mode};
use corsair_gateway::{Config, Control, Flags, Server, Source};

use crate::cli::Status;

const PROXY_HELP: &str = "\
Without --config and --allow-origin, the embedded dev profile applies: pages on
http://localhost:*, http://127.0.0.1:* and http://[::1]:* may call the upstream through
the proxy, which listens on 127.0.0.1:8787 only.

Signals: SIGHUP (or saving the config file) reloads the configuration; a bad one is
refused with its errors and the old one keeps serving. SIGTERM or Ctrl-C stops accepting
and lets requests in flight finish (up to 30 s).

Exit status:
  0  stopped by SIGTERM or Ctrl-C (with --check: the configuration is valid)
  1  the configuration has errors (each printed as `error: FILE:LINE:COL: message`)
  2  usage error, or the config file could not be read, or the address could not be bound,
     or a TLS file could not be read";

/// `--help` (not `-h`): every `[proxy]` key, then the rest.
fn long_help() -> String {
    format!("{}\n\n{PROXY_HELP}", config::PROXY_KEYS_HELP)
}

/// Flags of `corsair proxy`.
#[derive(Debug, Clone, Args)]
#[command(after_help = PROXY_HELP, after_long_help = long_help())]
pub struct ProxyArgs {
    /// A config file: a policy with [profiles.NAME] and a [proxy] table (routes, limits, TLS).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The profile to use (else $CORSAIR_PROFILE).
    #[arg(long)]
    pub profile: Option<String>,
    /// Where to listen, e.g. 127.0.0.1:8787 (0.0.0.0:8787 for every interface).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The API to put CORS in front of, e.g. http://localhost:8080.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Open-proxy mode: GET /https://api.example.com/path (needs --allow-target and origins).
    #[arg(long)]
    pub open: bool,
    /// A host the open proxy may reach: api.example.com or *.example.com (repeatable).
    #[arg(long = "allow-target", value_name = "HOST")]
    pub allow_targets: Vec<String>,
    /// An origin or pattern allowed to call (repeatable); replaces the file's or the dev
    /// profile's origins.
    #[arg(long = "allow-origin", value_name = "ORIGIN_OR_PATTERN")]
    pub allow_origins: Vec<String>,
    /// Allowed methods, comma-separated (GET,POST,PUT); replaces the file's or the dev
    /// profile's list (a warning says so when that removes `*`).
    #[arg(long, value_name = "LIST")]
    pub allow_methods: Option<String>,
    /// Allowed request headers, comma-separated; replaces the file's or the dev profile's list
    /// (`*` and authorization: any header), with a warning when that removes `*`.
    #[arg(long, value_name = "LIST")]
    pub allow_headers: Option<String>,
    /// Allow credentialed requests (cookies, HTTP auth).
    #[arg(long)]
    pub allow_credentials: bool,
    /// Response headers scripts may read, comma-separated; replaces the file's list.
    #[arg(long, value_name = "LIST")]
    pub expose_headers: Option<String>,
    /// How long browsers may cache a preflight, in seconds.
    #[arg(long, value_name = "SECS")]
    pub max_age: Option<u32>,
    /// TLS certificate chain (PEM) for the listener.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for the listener.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Decide and log every request, but change nothing (try a policy on live traffic).
    #[arg(long)]
    pub report_only: bool,
    /// Name the reason of each refusal in a `corsair-refusal` response header.
    #[arg(long)]
    pub debug_header: bool,
    /// Resolve HOST to ADDRESS instead of asking DNS, e.g. api.test:127.0.0.2 (repeatable).
    #[arg(long, value_name = "HOST:ADDRESS")]
    pub resolve: Vec<String>,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log level: info logs refusals; debug logs every request's decision.
    #[arg(long, value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,
    /// Check the configuration (the file with its [proxy] table, the flags, the CORSAIR_*
    /// variables) and exit: 0 when valid, 1 with every error. Binds and starts nothing.
    #[arg(long)]
    pub check: bool,
}

/// How log lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line (for log pipelines).
    Json,
}

/// How much to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Failures only.
    Error,
    /// Failures and warnings (reload errors).
    Warn,
    /// Refusals, reloads, start and stop.
    Info,
    /// Every request's decision.
    Debug,
}

impl ProxyArgs {
    fn flags(&self) -> Flags {
        Flags {
            profile: self.profile.clone(),
            listen: self.listen.clone(),
            upstream: self.upstream.clone(),
            open: self.open,
            allow_targets: self.allow_targets.clone(),
            allow_origins: self.allow_origins.clone(),
            allow_methods: self.allow_methods.clone(),
            allow_headers: self.allow_headers.clone(),
            allow_credentials: self.allow_credentials,
            expose_headers: self.expose_headers.clone(),
            max_age: self.max_age,
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            report_only: self.report_only,
            debug_header: self.debug_header,
            resolve: self.resolve.clone(),
        }
    }
}

/// Reads the file (or the dev profile) and builds the configuration.
fn load(args: &ProxyArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    let source = match &args.config {
        Some(path) => Source::read(path).map_err(|e| e.to_string())?,
        None => Source::dev(),
    };
    config::load(&source, &args.flags(), env).map_err(|e| e.to_string())
}

/// The configuration to start with (or to `--check`), its warnings and errors written to `err`:
/// a file that cannot be read is a usage error (2) and a configuration with errors 1, as for
/// `corsair policy check`. Misspelt `CORSAIR_*` variables are errors here too.
fn initial_config(
    args: &ProxyArgs,
    env: &dyn Fn(&str) -> Option<String>,
    err: &mut dyn Write,
) -> Result<Config, Status> {
    let source = match &args.config {
        Some(path) => Source::read(path).map_err(|e| {
            let _ = writeln!(err, "{e}");
            Status::Usage
        })?,
        None => Source::dev(),
    };
    let names: Vec<String> = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).collect();
    let (variable_errors, mut warnings) = config::check_variables(names.iter().map(String::as_str));
    let loaded = config::load(&source, &args.flags(), env);
    let mut errors = loaded.as_ref().err().cloned().unwrap_or_default();
    for e in variable_errors {
        errors.push_at(e.error, e.location);
    }
    match loaded {
        Ok(config) if errors.is_empty() => {
            warnings.extend(config::warnings(&config));
            for w in warnings {
                let _ = writeln!(err, "warning: {w}");
            }
            Ok(config)
        }
        _ => {
            let n = errors.len();
            let what = args.config.as_ref().map_or_else(|| "the configuration".to_owned(), |p| p.display().to_string());
            let _ = writeln!(err, "{errors}\ncorsair: {n} {} in {what}", if n == 1 { "error" } else { "errors" });
            Err(Status::Findings)
        }
    }
}

/// Runs the proxy until SIGTERM or Ctrl-C (or, with `--check`, checks the configuration).
pub fn run(args: ProxyArgs, env: &dyn Fn(&str) -> Option<String>, err: &mut dyn Write) -> Status {
    let config = match initial_config(&args, env, err) {
        Ok(c) => c,
        Err(status) => return status,
    };
    if args.check {
        let name = args.config.as_ref().map_or_else(|| Source::dev().name, |p| p.display().to_string());
        let _ = writeln!(err, "corsair proxy --check: {name}: ok");
        return Status::Ok;
    }
    init_logs(args.log_format, args.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return Status::Usage;
        }
    };
    runtime.block_on(async {
        let listen = config.listen;
        let server = match Server::bind(config.clone()).await {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "error: cannot serve on {listen}: {e}");
                return Status::Usage;
            }
        };
        let _ = writeln!(err, "{}", banner(&config, server.local_addr(), server.admin_addr()));
        let control = server.control();
        let env: Vec<(String, String)> = std::env::vars().collect();
        tokio::spawn(watch(control, args, env));
        match server.serve().await {
            Ok(()) => Status::Ok,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                Status::Usage
            }
        }
    })
}

/// What the proxy does, in a few lines, on start.
fn banner(config: &Config, addr: std::net::SocketAddr, admin: Option<std::net::SocketAddr>) -> String {
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    let mut s = format!("corsair proxy listening on {scheme}://{addr}");
    let origins = |p: &corsair_core::Policy| p.origins().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    match &config.mode {
        Mode::Gateway(routes) => {
            for r in routes {
                let u = &r.upstream;
                s.push_str(&format!(
                    "\n  {} -> {}://{}{}  (origins: {})",
                    r.prefix,
                    u.scheme,
                    u.authority,
                    u.base_path,
                    origins(&r.policy)
                ));
            }
        }
        Mode::Open(open) => {
            let targets: Vec<String> = open.targets.iter().map(ToString::to_string).collect();
            s.push_str(&format!(
                "\n  open proxy: /https://HOST/PATH for hosts {}  (origins: {})",
                targets.join(", "),
                origins(&open.policy)
            ));
        }
    }
    if config.report_only {
        s.push_str("\n  report-only: decisions are logged, nothing is refused or changed");
    }
    let ops = admin.map_or_else(|| format!("{scheme}://{addr}"), |a| format!("http://{a}"));
    s.push_str(&format!("\n  health: {ops}/healthz"));
    s
}

fn init_logs(format: LogFormat, level: LogLevel) {
    use tracing_subscriber::filter::LevelFilter;
    let level = match level {
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
    };
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Reloads on SIGHUP or when the config file changes; stops on SIGTERM or Ctrl-C.
async fn watch(control: Control, args: ProxyArgs, env: Vec<(String, String)>) {
    use tokio::signal::unix::{signal, SignalKind};
    let env = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (Ok(mut hup), Ok(mut term)) = (signal(SignalKind::hangup()), signal(SignalKind::terminate())) else {
        tracing::error!(target: "corsair::server", "cannot install signal handlers; reload and graceful stop are off");
        return;
    };
    let mut stamp = args.config.as_deref().and_then(file_stamp);
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        let why = tokio::select! {
            _ = hup.recv() => "SIGHUP",
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => {
                let now = args.config.as_deref().and_then(file_stamp);
                if now == stamp { continue; }
                stamp = now;
                "the config file changed"
            }
        };
        match load(&args, &env).and_then(|c| control.reload(c)) {
            Ok(()) => tracing::info!(target: "corsair::server", trigger = why, "configuration reloaded"),
            Err(errors) => {
                for line in errors.lines() {
                    tracing::warn!(target: "corsair::server", trigger = why, "reload refused, the old configuration keeps serving: {line}");
                }
            }
        }
    }
    tracing::info!(target: "corsair::server", "stopping: no new connections; open requests may finish");
    control.shutdown();
}

/// The file's modification time and length: a change means "reload".
fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}
