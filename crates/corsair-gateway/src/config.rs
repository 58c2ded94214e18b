//! The gateway's settings, validated into a [`Config`] the server runs.
//!
//! They live in the same TOML file as the policy: the `[proxy]` table at the top, overridden key
//! by key by `[profiles.NAME.proxy]`, then by `CORSAIR_LISTEN` / `CORSAIR_UPSTREAM`, then by
//! command-line flags ([`Flags`]). Policy keys come from core's [`PolicyFile`] as for every
//! other command; each route may name its own profile. Errors carry file, line and column, like
//! the policy's, and every error is reported at once.
//!
//! With no file and no `--allow-origin`, the embedded [`DEV_PROFILE`] applies: loopback origins
//! on any port, and a listener on 127.0.0.1 only.
//!
//! One pipeline, typed from end to end: the file is parsed once, the `[proxy]` table read into
//! its serde type in the same pass as the policy (`PolicyFile<ProxyTable>`, shape checked with
//! [`PROXY_KEYS`]); the policy flags become core's typed
//! [`Overrides`](corsair_core::policy_file::Overrides) layered over the environment's, so an
//! error names the flag; then `build` reads every setting in named steps.
//!
//! The parts: `table` (the `[proxy]` table as written and its keys), `flags` (the command line),
//! `reader` (values to settings, each error at its place), `target_pattern` (the open proxy's target
//! patterns), `build` (the steps), `schema` (the file's JSON Schema).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use corsair_core::address::ResolveRule;
#[cfg(doc)]
use corsair_core::PolicyFile;
use corsair_core::{ConfigError, ConfigErrors, Location, Policy};
use http::uri::{Authority, Scheme};

use crate::egress::Egress;
use crate::ratelimit::{Quota, RedisUrl, WhenStoreFails};

mod build;
mod flags;
mod reader;
mod schema;
mod table;
mod target_pattern;
#[cfg(test)]
mod tests;

pub use flags::Flags;
pub use reader::parse_upstream;
pub use schema::json_schema;
pub use table::{PROXY_KEYS, PROXY_KEYS_HELP};
pub use target_pattern::TargetPattern;

/// The policy and proxy settings used when there is no config file: what a front end on
/// `http://localhost:5173` needs to call an API through the proxy in development. Credentials
/// are off (turn them on with `--allow-credentials`); scripts read the safelisted response
/// headers (add others with `--expose-headers`); the listener is loopback-only. Any request
/// header passes: `*` does not cover `Authorization` (the Fetch standard's rule), so it is listed
/// beside it.
pub const DEV_PROFILE: &str = r#"# corsair proxy's embedded dev profile
allow_origins = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
allow_methods = ["*"]
allow_headers = ["*", "authorization"]
max_age = 600

[proxy]
listen = "127.0.0.1:8787"
"#;

/// Largest request body forwarded by default (open mode keeps it; gateways usually raise it).
pub const DEFAULT_MAX_BODY: u64 = 10 << 20;

/// A validated gateway configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Routes (gateway mode) or the open proxy.
    pub mode: Mode,
    /// TLS on the listener.
    pub tls: Option<TlsFiles>,
    /// Extra trust anchor (PEM) for upstreams with private certificates.
    pub upstream_ca: Option<PathBuf>,
    /// What to do with `X-Forwarded-*`.
    pub forwarded: Forwarded,
    /// Sizes, times and counts.
    pub limits: Limits,
    /// Evaluate and log CORS decisions, but change nothing.
    pub report_only: bool,
    /// Name the refusal reason in a `corsair-refusal` response header.
    pub debug_header: bool,
    /// The SSRF guard, when on (always in open mode).
    pub egress: Option<Egress>,
    /// Names resolved to fixed addresses instead of DNS (`--resolve`, tests): the rule for
    /// the port wins over a `*` rule ([`ResolveRule::find`]).
    pub resolve: Vec<ResolveRule>,
    /// A second listener, for operations only: `/healthz` and `/metrics` (also at
    /// [`HEALTH_PATH`](crate::service::HEALTH_PATH) and [`METRICS_PATH`](crate::service::METRICS_PATH)).
    /// Keep it private: metrics say who calls and what is refused.
    pub admin_listen: Option<SocketAddr>,
    /// Also serve the metrics on the main listener, at
    /// [`METRICS_PATH`](crate::service::METRICS_PATH). Off by default: the main listener is
    /// often public, and its paths are the upstream's.
    pub metrics_on_listen: bool,
    /// Serve plain HTTP/1.1 requests through the relay (see [`crate::relay`]); off, hyper serves
    /// every request.
    pub fast_path: bool,
}

/// Gateway routes or the open proxy.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Reverse proxy: the longest matching route prefix wins.
    Gateway(Vec<Route>),
    /// Open proxy: `/{absolute-url}`.
    Open(Open),
}

/// One path prefix in front of one upstream.
#[derive(Clone, Debug)]
pub struct Route {
    /// Starts with `/`; matches itself and paths below it (`/api` matches `/api/x`, not `/apix`).
    pub prefix: String,
    /// Where requests go.
    pub upstream: Upstream,
    /// Remove the prefix before forwarding.
    pub strip_prefix: bool,
    /// The CORS policy of this route.
    pub policy: Arc<Policy>,
    /// The profile the policy came from, for logs.
    pub profile: Option<String>,
}

/// An upstream base URL: scheme, authority and a path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host and port.
    pub authority: Authority,
    /// Path prepended to forwarded paths, without a trailing `/` (empty for none).
    pub base_path: String,
}

/// Open-proxy settings.
#[derive(Clone, Debug)]
pub struct Open {
    /// The CORS policy (never with credentials: the open proxy forwards none).
    pub policy: Arc<Policy>,
    /// Hosts that may be proxied to.
    pub targets: Vec<TargetPattern>,
    /// Requests per client address (IPv6: per /64).
    pub per_client: Option<Quota>,
    /// Requests per Origin.
    pub per_origin: Option<Quota>,
    /// Where the counts live.
    pub store: StoreSettings,
}

/// Where the open proxy's rate-limit counts live (`[proxy.rate_limit_store]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreSettings {
    /// In this process (the default): each instance counts alone, and the counts survive
    /// reloads, not restarts.
    #[default]
    Memory,
    /// In a Redis shared by every instance.
    Redis(RedisSettings),
}

/// `kind = "redis"`: how to reach the shared store and what to do when it cannot answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisSettings {
    /// `url`.
    pub url: RedisUrl,
    /// `key_prefix`: instances that should share limits share it.
    pub key_prefix: String,
    /// `timeout_ms`: the deadline of one check, connecting included.
    pub timeout: Duration,
    /// `on_failure`: admit or refuse when the store does not answer in time.
    pub on_failure: WhenStoreFails,
}

/// Certificate chain and key files (PEM) for the listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// `X-Forwarded-For`, `-Proto` and `-Host` on forwarded requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarded {
    /// Replace whatever the client sent with what the proxy saw (the safe default at the edge:
    /// a client cannot forge its address).
    Set,
    /// Append to the client's values (behind a load balancer you trust).
    Append,
    /// Send none.
    Off,
}

/// Sizes, times and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body forwarded; larger ones get 413.
    pub max_body: u64,
    /// From the request's arrival to the upstream's response head; then 504.
    pub request_timeout: Duration,
    /// TCP connect plus TLS handshake to an upstream; then 502.
    pub connect_timeout: Duration,
    /// Open client connections; more wait in the accept queue.
    pub max_connections: usize,
    /// Longest wait for a request head on an open connection, idle or not (hyper's and the
    /// relay's); then the connection closes.
    pub header_read_timeout: Duration,
    /// Longest TLS handshake of a client before its connection is dropped.
    pub handshake_timeout: Duration,
    /// Longest wait for requests in flight at shutdown.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body: DEFAULT_MAX_BODY,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(30),
        }
    }
}

/// The `CORSAIR_*` variables the gateway reads besides the policy's.
pub const VARIABLES: &[&str] = &["CORSAIR_LISTEN", "CORSAIR_UPSTREAM"];

/// Where the config text came from.
#[derive(Clone, Debug)]
pub struct Source {
    /// What errors call it (the path as given).
    pub name: String,
    /// The file's text.
    pub text: String,
    /// The directory relative paths in it are resolved against.
    pub dir: PathBuf,
}

impl Source {
    /// Reads a config file (at most [`corsair_core::policy_file::MAX_POLICY_FILE_LEN`] bytes).
    pub fn read(path: &Path) -> Result<Source, ConfigErrors> {
        let name = path.display().to_string();
        let err = |message: String| {
            let mut errors = ConfigErrors::default();
            errors
                .push_at(ConfigError::Syntax { message }, Some(Location { source: name.clone(), line: 0, column: 0 }));
            errors
        };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
        if meta.len() > corsair_core::policy_file::MAX_POLICY_FILE_LEN as u64 {
            return Err(err(format!(
                "the file is {} bytes; config files are at most {}",
                meta.len(),
                corsair_core::policy_file::MAX_POLICY_FILE_LEN
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Source { name, text, dir })
    }

    /// The embedded dev profile.
    pub fn dev() -> Source {
        Source { name: "(embedded dev profile)".into(), text: DEV_PROFILE.into(), dir: PathBuf::new() }
    }
}

/// Builds the configuration from a file (or the dev profile), the environment and flags.
pub fn load(source: &Source, flags: &Flags, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
    build::build(source, flags, &env, true)
}

/// Checks everything a file (with the environment and `profile`) says, `[proxy]` included,
/// without requiring what flags may still give (an upstream, the open proxy's targets):
/// `corsair policy check` on a proxy file.
pub fn check_file(
    source: &Source,
    profile: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigErrors> {
    let flags = Flags { profile: profile.map(str::to_owned), ..Flags::default() };
    build::build(source, &flags, &env, false).map(drop)
}

/// The names of the environment's variables checked against those corsair reads (see
/// [`corsair_core::policy_file::check_variables`]): misspelt `CORSAIR_*` names are errors,
/// other `CORSAIR_` names come back as warnings.
pub fn check_variables<'a>(names: impl IntoIterator<Item = &'a str>) -> (ConfigErrors, Vec<String>) {
    corsair_core::policy_file::check_variables(names, VARIABLES)
}

/// The policies' warnings (each once), for the log at start: e.g. a flag that replaced a
/// list holding `*`.
pub fn warnings(config: &Config) -> Vec<String> {
    let policies: Vec<&Policy> = match &config.mode {
        Mode::Gateway(routes) => routes.iter().map(|r| &*r.policy).collect(),
        Mode::Open(open) => vec![&*open.policy],
    };
    let mut out: Vec<String> = Vec::new();
    for w in policies.iter().flat_map(|p| p.warnings()) {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}
