//! `corsair proxy`: run the CORS gateway (corsair-gateway) from flags and a config file, with
//! logs, signals and reloads. Everything it serves is decided in the gateway and the core.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::{Args, ValueEnum};
use corsair_gateway::config::{self, Mode};
use corsair_gateway::{Config, Control, Flags, Server, Source};
use corsair_gateway::{HEALTH_PATH, METRICS_PATH};

use crate::advice::AdvisedAll;
use crate::status::Status;

mod log;

const PROXY_HELP: &str = "\
Without --config and --allow-origin, the embedded dev profile applies: pages on
http://localhost:*, http://127.0.0.1:* and http://[::1]:* may call the upstream through
the proxy, which listens on 127.0.0.1:8787 only.

Operations: GET /.corsair/healthz on the listener answers `ok`; every other path, /healthz
and /metrics included, goes to the upstream. The metrics are on [proxy] admin_listen
(/metrics), and on the listener (/.corsair/metrics) only with metrics_on_listen = true.

Signals: SIGHUP (or saving the config file) reloads the configuration; a bad one is
refused with its errors and the old one keeps serving. SIGTERM or Ctrl-C stops accepting
and lets requests in flight finish (up to 30 s); a second SIGTERM or Ctrl-C stops at once.

Exit status:
  0    stopped by SIGTERM or Ctrl-C (with --check: the configuration is valid)
  1    the configuration has errors (each printed as `error: FILE:LINE:COL: message`)
  2    usage error, or the config file could not be read, or the address could not be bound,
       or a TLS file could not be read, or the upstream is the proxy itself
  130  stopped at once by a second SIGTERM or Ctrl-C (requests in flight were cut off)";

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
    /// Connect to ADDR for HOST on PORT (`*`: any port) instead of asking DNS, as `corsair
    /// check --resolve` and curl's, e.g. api.test:*:127.0.0.2 (repeatable; HOST:ADDR still
    /// means HOST:*:ADDR).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
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
    config::load(&source, &args.flags(), env).map_err(|e| AdvisedAll(&e).to_string())
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
            let errors = AdvisedAll(&errors);
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
    // From here on every line goes through the log's queue: never a blocking or panicking write.
    let logs = log::Stderr::start();
    init_logs(&logs, args.log_format, args.log_level, env("NO_COLOR").as_deref());
    let status = serve(args.clone(), config, &Say { logs: &logs, format: args.log_format });
    // Stopped at once means at once, even with a stderr that does not take the last lines.
    logs.flush(if status == Status::Interrupted { Duration::from_millis(100) } else { Duration::from_secs(1) });
    status
}

/// The lines the command writes itself (the banner, fatal errors), in the log's format.
struct Say<'a> {
    logs: &'a log::Stderr,
    format: LogFormat,
}

impl Say<'_> {
    fn line(&self, text: String) {
        self.logs.line((text + "\n").into_bytes());
    }

    fn error(&self, message: String) {
        match self.format {
            LogFormat::Text => self.line(format!("error: {message}")),
            LogFormat::Json => self.json("ERROR", &message, serde_json::Map::new()),
        }
    }

    /// One JSON object shaped like the log's own events (`timestamp`, `level`, `message`,
    /// `target`, then the fields).
    fn json(&self, level: &str, message: &str, fields: serde_json::Map<String, serde_json::Value>) {
        use tracing_subscriber::fmt::format::Writer;
        use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
        let mut timestamp = String::new();
        let _ = SystemTime.format_time(&mut Writer::new(&mut timestamp));
        let mut event = serde_json::Map::new();
        event.insert("timestamp".into(), timestamp.into());
        event.insert("level".into(), level.into());
        event.insert("message".into(), message.into());
        event.insert("target".into(), "corsair::server".into());
        event.extend(fields);
        self.line(serde_json::Value::Object(event).to_string());
    }

    fn banner(&self, config: &Config, addr: SocketAddr, admin: Option<SocketAddr>) {
        match self.format {
            LogFormat::Text => self.line(banner(config, addr, admin)),
            LogFormat::Json => self.json("INFO", "corsair proxy listening", banner_fields(config, addr, admin)),
        }
    }
}

fn serve(args: ProxyArgs, config: Config, say: &Say<'_>) -> Status {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            say.error(format!("cannot start the async runtime: {e}"));
            return Status::Usage;
        }
    };
    let status = runtime.block_on(async {
        let listen = config.listen;
        let server = match Server::bind(config.clone()).await {
            Ok(s) => s,
            Err(e) => {
                say.error(format!("cannot serve on {listen}: {e}"));
                return Status::Usage;
            }
        };
        say.banner(&config, server.local_addr(), server.admin_addr());
        let control = server.control();
        let env: Vec<(String, String)> = std::env::vars().collect();
        tokio::spawn(watch(control.clone(), args, env));
        match server.serve().await {
            Ok(()) if control.aborted() => Status::Interrupted,
            Ok(()) => Status::Ok,
            Err(e) => {
                say.error(e.to_string());
                Status::Usage
            }
        }
    });
    if status == Status::Interrupted {
        // Requests in flight are dropped with their tasks; a DNS lookup on the blocking pool is
        // not waited for either.
        runtime.shutdown_background();
    }
    status
}

/// What the proxy does, in a few lines, on start.
fn banner(config: &Config, addr: SocketAddr, admin: Option<SocketAddr>) -> String {
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
            if let Some(limits) = rate_limits(open) {
                s.push_str(&format!("\n  rate limits: {limits}"));
            }
        }
    }
    if config.report_only {
        s.push_str("\n  report-only: decisions are logged, nothing is refused or changed");
    }
    s.push_str(&format!("\n  health: {scheme}://{addr}{HEALTH_PATH}"));
    s.push_str(&format!("\n  metrics: {}", metrics_at(config, scheme, addr, admin)));
    s
}

/// The open proxy's quotas and where they are counted, for the banner: an operator running
/// several instances sees at once whether they share one limit.
fn rate_limits(open: &config::Open) -> Option<String> {
    use config::StoreSettings;
    let quotas: Vec<String> = [("client", open.per_client), ("origin", open.per_origin)]
        .into_iter()
        .filter_map(|(by, q)| q.map(|q| format!("{q} per {by}")))
        .collect();
    if quotas.is_empty() {
        return None;
    }
    let store = match &open.store {
        StoreSettings::Memory => "counted in this process".to_owned(),
        StoreSettings::Redis(r) => format!("shared in {} under {}", r.url, r.key_prefix),
    };
    Some(format!("{}, {store}", quotas.join(", ")))
}

/// The banner as JSON fields, for `--log-format json`.
fn banner_fields(
    config: &Config,
    addr: SocketAddr,
    admin: Option<SocketAddr>,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    let origins = |p: &corsair_core::Policy| p.origins().iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut fields = serde_json::Map::new();
    fields.insert("listen".into(), format!("{scheme}://{addr}").into());
    match &config.mode {
        Mode::Gateway(routes) => {
            let routes = routes.iter().map(|r| {
                let u = &r.upstream;
                json!({
                    "prefix": r.prefix,
                    "upstream": format!("{}://{}{}", u.scheme, u.authority, u.base_path),
                    "origins": origins(&r.policy),
                })
            });
            fields.insert("routes".into(), routes.collect::<Vec<_>>().into());
        }
        Mode::Open(open) => {
            let targets: Vec<String> = open.targets.iter().map(ToString::to_string).collect();
            fields.insert("open".into(), json!({ "targets": targets, "origins": origins(&open.policy) }));
            if let Some(limits) = rate_limits(open) {
                fields.insert("rate_limits".into(), limits.into());
            }
        }
    }
    fields.insert("report_only".into(), config.report_only.into());
    fields.insert("health".into(), format!("{scheme}://{addr}{HEALTH_PATH}").into());
    let mut metrics = Vec::new();
    if let Some(admin) = admin {
        metrics.push(format!("http://{admin}/metrics"));
    }
    if config.metrics_on_listen {
        metrics.push(format!("{scheme}://{addr}{METRICS_PATH}"));
    }
    fields.insert("metrics".into(), metrics.into());
    fields
}

/// Where the metrics are served, or why not: only on the admin listener unless the file opts in.
fn metrics_at(config: &Config, scheme: &str, addr: SocketAddr, admin: Option<SocketAddr>) -> String {
    let mut at = Vec::new();
    if let Some(admin) = admin {
        at.push(format!("http://{admin}/metrics"));
    }
    if config.metrics_on_listen {
        at.push(format!("{scheme}://{addr}{METRICS_PATH} (public on the main listener: metrics_on_listen = true)"));
    }
    if at.is_empty() {
        return "not served (set [proxy] admin_listen to a private address)".into();
    }
    at.join(", ")
}

/// Logs through `logs`, at `level`; corsair-tower's own refusal event (target `corsair_tower`) is off, since the
/// gateway's decision log writes one line per refusal with everything the event says.
fn init_logs(logs: &log::Stderr, format: LogFormat, level: LogLevel, no_color: Option<&str>) {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    let level = match level {
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
    };
    let filter = Targets::new().with_default(level).with_target("corsair_tower", LevelFilter::OFF);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(logs.clone())
        .with_ansi(log::ansi(std::io::stderr().is_terminal(), no_color))
        .with_target(true)
        // Its own write errors, reported with `eprintln!`, which panics on a closed stderr.
        .log_internal_errors(false);
    let layer = match format {
        LogFormat::Text => layer.with_filter(filter).boxed(),
        LogFormat::Json => layer.json().flatten_event(true).with_filter(filter).boxed(),
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Reloads on SIGHUP or when the config file changes; stops on SIGTERM or Ctrl-C, and at once
/// on a second one.
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
        let reloaded = match load(&args, &env) {
            Ok(config) => control.reload(config),
            Err(errors) => {
                // The server never saw this one: count it here.
                control.reload_failed();
                Err(errors)
            }
        };
        match reloaded {
            Ok(()) => tracing::info!(target: "corsair::server", trigger = why, "configuration reloaded"),
            Err(errors) => {
                for line in errors.lines() {
                    tracing::warn!(target: "corsair::server", trigger = why, "reload refused, the old configuration keeps serving: {line}");
                }
            }
        }
    }
    tracing::info!(
        target: "corsair::server",
        "stopping: no new connections; open requests may finish (SIGTERM or Ctrl-C again stops at once)"
    );
    control.shutdown();
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::warn!(target: "corsair::server", "stopping at once: requests in flight are cut off");
    control.abort();
}

/// The file's modification time and length: a change means "reload".
fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}
