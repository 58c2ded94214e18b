//! The gateway's settings, validated into a [`Config`] the server runs.
//!
//! They live in the same TOML file as the policy: the `[proxy]` table at the top, overridden key
//! by key by `[profiles.NAME.proxy]`, then by `CORSAIR_LISTEN` / `CORSAIR_UPSTREAM`, then by
//! command-line flags ([`Flags`]). Policy keys come from [`PolicyFile`] as for every other
//! command; each route may name its own profile. Errors carry file, line and column, like the
//! policy's, and every error is reported at once.
//!
//! With no file and no `--allow-origin`, the embedded [`DEV_PROFILE`] applies: loopback origins
//! on any port, and a listener on 127.0.0.1 only.
//!
//! Flags reach the policy reader as [`Override`]s from the flag, so an error names the flag;
//! the file's shape (unknown keys, wrong kinds) is checked for the policy and `[proxy]` at once
//! ([`PROXY_KEYS`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use corsair_core::address::ResolveRule;
use corsair_core::policy_file::{Key, Kind, Override};
use corsair_core::{ConfigError, ConfigErrors, Location, Policy, PolicyFile};
use http::uri::{Authority, Scheme};
use http::Uri;
use serde::Deserialize;
use toml::Spanned;

use crate::egress::{Cidr, Egress};
use crate::ratelimit::{Quota, RedisStore, RedisUrl, WhenStoreFails, DEFAULT_KEY_PREFIX, DEFAULT_TIMEOUT};

mod schema;
pub use schema::json_schema;

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

/// A target host the open proxy may reach: `api.example.com` or `*.example.com` (subdomains,
/// not the apex), optionally with `:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetPattern {
    host: String,
    subdomains: bool,
    port: Option<u16>,
}

impl TargetPattern {
    /// Parses `host`, `*.host` or either with `:port`. Hosts are compared in lower case, as
    /// URLs serialise them.
    pub fn parse(s: &str) -> Result<TargetPattern, String> {
        let s = s.trim();
        if s.contains("://") || s.contains('/') {
            return Err(format!("`{s}` is a URL; write a host name such as api.example.com"));
        }
        if s.starts_with('[') {
            return Err(format!("`{s}` is an address; the open proxy takes host names"));
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            Some(_) => return Err(format!("`{s}` is an address; the open proxy takes host names")),
            None => (s, None),
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().map_err(|_| format!("`{p}` is not a port in `{s}`"))?),
            None => None,
        };
        let (host, subdomains) = match host.strip_prefix("*.") {
            Some(rest) => (rest, true),
            None => (host, false),
        };
        if host.is_empty() || host.contains('*') {
            return Err(format!("`{s}`: `*` may only start a pattern, as in *.example.com"));
        }
        let valid = host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b));
        if !valid {
            return Err(format!("`{s}` is not a host name (non-ASCII names go in their xn-- form)"));
        }
        Ok(TargetPattern { host: host.to_ascii_lowercase(), subdomains, port })
    }

    /// Whether `host` (lower case, as in a parsed URL) and `port` match.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        if self.subdomains {
            host.len() > self.host.len() + 1
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        }
    }
}

impl std::fmt::Display for TargetPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.subdomains {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
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

/// Command-line flags; each overrides the key of the same meaning.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--upstream`.
    pub upstream: Option<String>,
    /// `--open`.
    pub open: bool,
    /// `--allow-target`, repeated.
    pub allow_targets: Vec<String>,
    /// `--allow-origin`, repeated; replaces the file's or the dev profile's origins.
    pub allow_origins: Vec<String>,
    /// `--allow-methods` (comma-separated).
    pub allow_methods: Option<String>,
    /// `--allow-headers` (comma-separated).
    pub allow_headers: Option<String>,
    /// `--allow-credentials`.
    pub allow_credentials: bool,
    /// `--expose-headers` (comma-separated).
    pub expose_headers: Option<String>,
    /// `--max-age`.
    pub max_age: Option<u32>,
    /// `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// `--report-only`.
    pub report_only: bool,
    /// `--debug-header`.
    pub debug_header: bool,
    /// `--resolve HOST:PORT:ADDR` (`*` for any port), repeated; the older `HOST:ADDR` means
    /// `HOST:*:ADDR`.
    pub resolve: Vec<String>,
}

/// The `[proxy]` keys. Every key optional, so profiles override a few.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProxyTable {
    listen: Option<Spanned<String>>,
    upstream: Option<Spanned<String>>,
    mode: Option<Spanned<String>>,
    routes: Option<Spanned<Vec<Spanned<RouteTable>>>>,
    allow_targets: Option<Spanned<Vec<Spanned<String>>>>,
    rate_per_client: Option<Spanned<String>>,
    rate_per_origin: Option<Spanned<String>>,
    rate_limit_store: Option<Spanned<StoreTable>>,
    tls_cert: Option<Spanned<String>>,
    tls_key: Option<Spanned<String>>,
    upstream_ca: Option<Spanned<String>>,
    forwarded: Option<Spanned<String>>,
    max_body_bytes: Option<Spanned<i64>>,
    request_timeout_secs: Option<Spanned<i64>>,
    connect_timeout_secs: Option<Spanned<i64>>,
    max_connections: Option<Spanned<i64>>,
    report_only: Option<Spanned<bool>>,
    debug_header: Option<Spanned<bool>>,
    egress_guard: Option<Spanned<bool>>,
    egress_allow: Option<Spanned<Vec<Spanned<String>>>>,
    admin_listen: Option<Spanned<String>>,
    metrics_on_listen: Option<Spanned<bool>>,
    fast_path: Option<Spanned<bool>>,
}

/// The `[proxy]` keys and what each holds, for the shape check of the whole file. Kept beside
/// the serde table that reads them and [`PROXY_KEYS_HELP`]; a test holds all three to the same keys.
pub const PROXY_KEYS: &[Key] = &[
    Key::new("listen", Kind::String),
    Key::new("upstream", Kind::String),
    Key::new("mode", Kind::String),
    Key::new("routes", Kind::Tables(ROUTE_KEYS)),
    Key::new("allow_targets", Kind::Strings),
    Key::new("rate_per_client", Kind::String),
    Key::new("rate_per_origin", Kind::String),
    Key::new("rate_limit_store", Kind::Table(STORE_KEYS)),
    Key::new("tls_cert", Kind::String),
    Key::new("tls_key", Kind::String),
    Key::new("upstream_ca", Kind::String),
    Key::new("forwarded", Kind::String),
    Key::new("max_body_bytes", Kind::Integer),
    Key::new("request_timeout_secs", Kind::Integer),
    Key::new("connect_timeout_secs", Kind::Integer),
    Key::new("max_connections", Kind::Integer),
    Key::new("report_only", Kind::Bool),
    Key::new("debug_header", Kind::Bool),
    Key::new("egress_guard", Kind::Bool),
    Key::new("egress_allow", Kind::Strings),
    Key::new("admin_listen", Kind::String),
    Key::new("metrics_on_listen", Kind::Bool),
    Key::new("fast_path", Kind::Bool),
];

/// The keys of one `[[proxy.routes]]` entry.
const ROUTE_KEYS: &[Key] = &[
    Key::new("prefix", Kind::String),
    Key::new("upstream", Kind::String),
    Key::new("profile", Kind::String),
    Key::new("strip_prefix", Kind::Bool),
];

/// The keys of `[proxy.rate_limit_store]`.
const STORE_KEYS: &[Key] = &[
    Key::new("kind", Kind::String),
    Key::new("url", Kind::String),
    Key::new("key_prefix", Kind::String),
    Key::new("timeout_ms", Kind::Integer),
    Key::new("on_failure", Kind::String),
];

/// `[proxy.rate_limit_store]`, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreTable {
    kind: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    key_prefix: Option<Spanned<String>>,
    timeout_ms: Option<Spanned<i64>>,
    on_failure: Option<Spanned<String>>,
}

/// Every `[proxy]` key with its meaning and default, for `corsair proxy --help`.
pub const PROXY_KEYS_HELP: &str = "\
[proxy] keys (a [profiles.NAME.proxy] table overrides them key by key):
  listen                 address to listen on [default: 127.0.0.1:8787]
  upstream               URL of the / route, e.g. \"http://127.0.0.1:8080\"
  routes                 [[proxy.routes]] with prefix, upstream, profile (a [profiles.NAME]
                         of this file), strip_prefix; the longest prefix wins
  mode                   \"gateway\" or \"open\" [default: \"gateway\"]
  allow_targets          open mode only: hosts the proxy may reach, api.example.com or
                         *.example.com, optional :port
  rate_per_client        open mode only: e.g. \"60/minute\", \"10/s\" [default: none]
  rate_per_origin        open mode only: the same, per Origin [default: none]
  rate_limit_store       open mode only: [proxy.rate_limit_store], where the counts live:
                         kind = \"memory\" (this process) [default] or \"redis\" (shared),
                         url = \"redis://127.0.0.1:6379/0\", key_prefix [default: \"corsair:rl:\"],
                         timeout_ms, 1 to 10000 [default: 50],
                         on_failure = \"admit\" [default] or \"refuse\" (429) when Redis fails
  tls_cert, tls_key      PEM files for HTTPS on the listener
  upstream_ca            extra PEM trust anchor for upstreams [default: system roots]
  forwarded              X-Forwarded-*: \"set\", \"append\" or \"off\"
                         [default: \"set\"; \"off\" in open mode]
  max_body_bytes         largest request body [default: 10485760]
  request_timeout_secs   upstream response head, 1 to 86400 [default: 30]
  connect_timeout_secs   upstream connect and TLS, 1 to 600 [default: 5]
  max_connections        open client connections [default: 10000]
  report_only            decide and log, change nothing [default: false]
  debug_header           name each refusal in a corsair-refusal header [default: false]
  egress_guard           gateway mode: refuse non-public upstream addresses too
                         [default: false; always on in open mode]
  egress_allow           address ranges the guard lets through, e.g. [\"10.1.0.0/16\"]
  admin_listen           a second listener for operations: /healthz and /metrics
  metrics_on_listen      also serve the metrics on the main listener at /.corsair/metrics
                         (public wherever the listener is) [default: false]
  fast_path              relay plain HTTP/1.1 requests as bytes [default: true]

Environment: CORSAIR_LISTEN and CORSAIR_UPSTREAM override listen and upstream; the policy's
CORSAIR_* variables are listed by `corsair policy check --help`. Any other CORSAIR_ name
close to one of these is an error.";

/// The `CORSAIR_*` variables the gateway reads besides the policy's.
pub const VARIABLES: &[&str] = &["CORSAIR_LISTEN", "CORSAIR_UPSTREAM"];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteTable {
    prefix: Spanned<String>,
    upstream: Spanned<String>,
    profile: Option<Spanned<String>>,
    strip_prefix: Option<Spanned<bool>>,
}

/// The file as the gateway reads it: only the `[proxy]` tables (the policy reader checks the
/// rest, including unknown keys).
#[derive(Debug, Default, Deserialize)]
struct GatewayFile {
    proxy: Option<ProxyTable>,
    profiles: Option<BTreeMap<String, ProfileFile>>,
}

#[derive(Debug, Default, Deserialize)]
struct ProfileFile {
    proxy: Option<ProxyTable>,
}

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
    load_inner(source, flags, &env, true)
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
    load_inner(source, &flags, &env, false).map(drop)
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

/// Where a setting's value came from, for its error.
enum At {
    /// The file, at this span.
    Span(Range<usize>),
    /// A flag or variable: `flag --listen`, `environment variable CORSAIR_LISTEN`.
    Given(String),
}

fn load_inner(
    source: &Source,
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    complete: bool,
) -> Result<Config, ConfigErrors> {
    let policy_file = PolicyFile::parse_with_proxy(&source.name, &source.text, PROXY_KEYS)?;
    // The shape check passed, so serde only fails on what it alone knows.
    let file: GatewayFile =
        toml::from_str(&source.text).map_err(|e| ConfigErrors::toml(&source.name, &source.text, &e))?;
    let mut r = Reader { source, errors: ConfigErrors::default() };

    // Flags first, then the real environment, then the file: flags reach the policy reader as
    // overrides of the `CORSAIR_*` names it reads, each saying which flag it came from.
    let flag_overrides = flag_overrides(flags);
    let overrides = |key: &str| flag_overrides.get(key).cloned().or_else(|| env(key).map(|v| Override::env(key, v)));
    let given = |flag: &Option<String>, name: &str, var: &str| match flag {
        Some(v) => Some((v.clone(), At::Given(format!("flag {name}")))),
        None => env(var).map(|v| (v, At::Given(format!("environment variable {var}")))),
    };
    let profile = flags.profile.clone().or_else(|| env("CORSAIR_PROFILE").filter(|p| !p.is_empty()));

    let mut table = file.proxy.unwrap_or_default();
    if let Some(name) = &profile {
        if let Some(over) = file.profiles.as_ref().and_then(|p| p.get(name)).and_then(|p| p.proxy.clone()) {
            table.merge(over);
        }
    }

    let listen = match (given(&flags.listen, "--listen", "CORSAIR_LISTEN"), &table.listen) {
        (Some((text, at)), _) => r.socket_addr("proxy.listen", &text, at),
        (None, Some(v)) => r.socket_addr("proxy.listen", v.get_ref(), At::Span(v.span())),
        (None, None) => Some(SocketAddr::from(([127, 0, 0, 1], 8787))),
    };
    let admin_listen =
        table.admin_listen.as_ref().and_then(|v| r.socket_addr("proxy.admin_listen", v.get_ref(), At::Span(v.span())));

    let open = flags.open
        || match &table.mode {
            Some(m) => match m.get_ref().as_str() {
                "open" => true,
                "gateway" => false,
                other => {
                    r.error(
                        "proxy.mode",
                        Some(m.span()),
                        format!("`{other}` is not a mode; write \"gateway\" or \"open\""),
                    );
                    false
                }
            },
            None => false,
        };

    // An open proxy must not relay for unlisted origins at all (the default refusal style lets
    // the request through without CORS headers): its policy always refuses them with a status,
    // so the CORS layer stops them before the forwarder.
    let refusal_overrides = |key: &str| {
        if open && key == "CORSAIR_REFUSAL" {
            Some(Override { value: "reject-all".to_owned(), source: "open mode".to_owned() })
        } else {
            overrides(key)
        }
    };
    // Each profile's policy is built once, so routes sharing a broken profile report its errors
    // once.
    let mut built: BTreeMap<Option<String>, Option<Arc<Policy>>> = BTreeMap::new();
    let mut policy_for = |r: &mut Reader, name: Option<&str>| -> Option<Arc<Policy>> {
        let key = name.map(str::to_owned);
        if let Some(p) = built.get(&key) {
            return p.clone();
        }
        let policy = match policy_file.policy_with(name, refusal_overrides) {
            Ok(p) => Some(Arc::new(p)),
            Err(errors) => {
                for e in errors.iter() {
                    r.errors.push_at(e.error.clone(), e.location.clone());
                }
                None
            }
        };
        built.insert(key, policy.clone());
        policy
    };
    // `[proxy]` keys that do nothing in this mode are errors: a file that says more than it does
    // misleads whoever reads it.
    let open_only: [(&str, Option<Range<usize>>); 4] = [
        ("proxy.allow_targets", table.allow_targets.as_ref().map(Spanned::span)),
        ("proxy.rate_limit_store", table.rate_limit_store.as_ref().map(Spanned::span)),
        ("proxy.rate_per_client", table.rate_per_client.as_ref().map(Spanned::span)),
        ("proxy.rate_per_origin", table.rate_per_origin.as_ref().map(Spanned::span)),
    ];
    if !open {
        for (key, span) in open_only {
            if let Some(span) = span {
                r.error(key, Some(span), "applies to the open proxy only; remove it, or set mode = \"open\"".into());
            }
        }
        if !flags.allow_targets.is_empty() {
            r.error_at(
                "--allow-target",
                At::Given("flag --allow-target".into()),
                "applies to the open proxy only; add --open, or remove it".into(),
            );
        }
    }

    let mode = if open {
        let message = "the open proxy takes its targets from the path; remove upstream and routes, or run a gateway without --open";
        if let Some(u) = &table.upstream {
            r.error("proxy.upstream", Some(u.span()), message.into());
        }
        if let Some(routes) = &table.routes {
            r.error("proxy.routes", Some(routes.span()), message.into());
        }
        if flags.upstream.is_some() {
            r.error_at("--upstream", At::Given("flag --upstream".into()), message.into());
        }
        if let Some(g) = table.egress_guard.as_ref().filter(|g| !*g.get_ref()) {
            r.error(
                "proxy.egress_guard",
                Some(g.span()),
                "the open proxy always guards its egress; remove egress_guard (egress_allow opens ranges)".into(),
            );
        }
        let targets: Vec<TargetPattern> = if flags.allow_targets.is_empty() {
            let list = table.allow_targets.as_ref();
            list.map(|l| l.get_ref().iter().filter_map(|t| r.target(t.get_ref(), Some(t.span()))).collect())
                .unwrap_or_default()
        } else {
            flags.allow_targets.iter().filter_map(|t| r.target(t, None)).collect()
        };
        if targets.is_empty() && r.errors.is_empty() && complete {
            r.error(
                "proxy.allow_targets",
                None,
                "the open proxy needs a list of target hosts: write allow_targets = [\"api.example.com\"] or --allow-target api.example.com".into(),
            );
        }
        let per_client = table.rate_per_client.as_ref().and_then(|q| r.quota("proxy.rate_per_client", q));
        let per_origin = table.rate_per_origin.as_ref().and_then(|q| r.quota("proxy.rate_per_origin", q));
        let store = table.rate_limit_store.as_ref().map(|t| r.store(t.get_ref())).unwrap_or_default();
        // Checked whenever Redis is asked for, so this error comes with the table's own.
        let redis_asked = table.rate_limit_store.as_ref().and_then(|t| t.get_ref().kind.as_ref());
        if redis_asked.is_some_and(|k| k.get_ref() == "redis") {
            for (key, quota, written) in [
                ("proxy.rate_per_client", per_client, &table.rate_per_client),
                ("proxy.rate_per_origin", per_origin, &table.rate_per_origin),
            ] {
                if quota.is_some_and(|q| !RedisStore::counts(&q)) {
                    r.error(
                        key,
                        written.as_ref().map(Spanned::span),
                        "is more than the Redis store counts (its clock counts microseconds): write at most 1000000/second".into(),
                    );
                }
            }
        }
        let policy = policy_for(&mut r, profile.as_deref());
        if let Some(p) = &policy {
            if p.allows_credentials() {
                r.error(
                    "allow_credentials",
                    None,
                    "the open proxy forwards no cookies or credentials; remove allow_credentials (or --allow-credentials)"
                        .into(),
                );
            }
            if p.origins().iter().any(|o| o.to_string() == "*") {
                r.error(
                    "allow_origins",
                    None,
                    "an open proxy for every origin is an open relay for the whole web; list the origins of your pages"
                        .into(),
                );
            }
        }
        policy.map(|policy| Mode::Open(Open { policy, targets, per_client, per_origin, store }))
    } else {
        let default_policy = policy_for(&mut r, profile.as_deref());
        let mut routes = Vec::new();
        let top = match (given(&flags.upstream, "--upstream", "CORSAIR_UPSTREAM"), &table.upstream) {
            (Some(u), _) => Some(u),
            (None, Some(u)) => Some((u.get_ref().clone(), At::Span(u.span()))),
            (None, None) => None,
        };
        if let Some((text, at)) = top {
            let upstream = r.upstream("proxy.upstream", &text, at);
            if let (Some(upstream), Some(policy)) = (upstream, &default_policy) {
                routes.push(Route {
                    prefix: "/".into(),
                    upstream,
                    strip_prefix: false,
                    policy: policy.clone(),
                    profile: profile.clone(),
                });
            }
        }
        for route in table.routes.as_ref().map(|r| r.get_ref().as_slice()).unwrap_or_default() {
            let t = route.get_ref();
            let prefix = t.prefix.get_ref();
            if !prefix.starts_with('/') || prefix.contains(['?', '#', ' ']) {
                r.error(
                    "proxy.routes.prefix",
                    Some(t.prefix.span()),
                    format!("`{prefix}` is not a path prefix; write one that starts with /, such as \"/api\""),
                );
                continue;
            }
            let prefix = if prefix.len() > 1 { prefix.trim_end_matches('/').to_owned() } else { prefix.clone() };
            if routes.iter().any(|x: &Route| x.prefix == prefix) {
                r.error("proxy.routes.prefix", Some(t.prefix.span()), format!("two routes have the prefix `{prefix}`"));
                continue;
            }
            let policy = match &t.profile {
                Some(p) if !policy_file.profiles().contains(p.get_ref()) => {
                    let error =
                        ConfigError::UnknownProfile { name: p.get_ref().clone(), available: policy_file.profiles() };
                    let at = Location::in_text(&source.name, &source.text, p.span().start);
                    r.errors.push_at(error, Some(at));
                    None
                }
                Some(p) => policy_for(&mut r, Some(p.get_ref())),
                None => default_policy.clone(),
            };
            let upstream = r.upstream("proxy.routes.upstream", t.upstream.get_ref(), At::Span(t.upstream.span()));
            if let (Some(upstream), Some(policy)) = (upstream, policy) {
                routes.push(Route {
                    prefix,
                    upstream,
                    strip_prefix: t.strip_prefix.as_ref().is_some_and(|s| *s.get_ref()),
                    policy,
                    profile: t.profile.as_ref().map(|p| p.get_ref().clone()).or_else(|| profile.clone()),
                });
            }
        }
        if routes.is_empty() && r.errors.is_empty() && complete {
            r.error(
                "proxy.upstream",
                None,
                "nothing to proxy to: give --upstream http://localhost:8080, upstream = \"...\" or [[proxy.routes]] in the config, or --open".into(),
            );
        }
        // Longest prefix first: the first match is the most specific.
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Some(Mode::Gateway(routes))
    };

    let cert = flags.tls_cert.clone().or_else(|| table.tls_cert.as_ref().map(|p| source.dir.join(p.get_ref())));
    let key = flags.tls_key.clone().or_else(|| table.tls_key.as_ref().map(|p| source.dir.join(p.get_ref())));
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => {
            r.error(
                "proxy.tls_cert",
                None,
                "TLS needs both a certificate and a key: give tls_cert and tls_key (or --tls-cert and --tls-key)"
                    .into(),
            );
            None
        }
    };
    let upstream_ca = table.upstream_ca.as_ref().map(|p| source.dir.join(p.get_ref()));

    let forwarded = match &table.forwarded {
        // An open proxy reaches third parties: they learn nothing of its users by default.
        None if open => Forwarded::Off,
        None => Forwarded::Set,
        Some(v) => match v.get_ref().as_str() {
            "set" => Forwarded::Set,
            "append" => Forwarded::Append,
            "off" => Forwarded::Off,
            other => {
                r.error(
                    "proxy.forwarded",
                    Some(v.span()),
                    format!("`{other}` is unknown; write \"set\", \"append\" or \"off\""),
                );
                Forwarded::Set
            }
        },
    };

    let mut limits = Limits::default();
    if let Some(v) = &table.max_body_bytes {
        limits.max_body = r.ranged("proxy.max_body_bytes", v, 0, 1 << 40).unwrap_or(limits.max_body);
    }
    if let Some(v) = &table.request_timeout_secs {
        limits.request_timeout =
            r.ranged("proxy.request_timeout_secs", v, 1, 86_400).map_or(limits.request_timeout, Duration::from_secs);
    }
    if let Some(v) = &table.connect_timeout_secs {
        limits.connect_timeout =
            r.ranged("proxy.connect_timeout_secs", v, 1, 600).map_or(limits.connect_timeout, Duration::from_secs);
    }
    if let Some(v) = &table.max_connections {
        limits.max_connections =
            r.ranged("proxy.max_connections", v, 1, 1_000_000).map_or(limits.max_connections, |n| n as usize);
    }

    let guard = open || table.egress_guard.as_ref().is_some_and(|g| *g.get_ref());
    let mut egress = Egress::default();
    for range in table.egress_allow.as_ref().map(|l| l.get_ref().as_slice()).unwrap_or_default() {
        match range.get_ref().parse::<Cidr>() {
            Ok(c) => egress = egress.allow(c),
            Err(e) => r.error("proxy.egress_allow", Some(range.span()), e.to_string()),
        }
    }
    let mut resolve = Vec::new();
    for entry in &flags.resolve {
        match parse_resolve(entry) {
            Ok(rule) => resolve.push(rule),
            Err(e) => r.error("--resolve", None, e),
        }
    }

    let (Some(listen), Some(mode)) = (listen, mode) else {
        // Each of them is missing only after an error was recorded.
        return Err(r.errors);
    };
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    Ok(Config {
        listen,
        mode,
        tls,
        upstream_ca,
        forwarded,
        limits,
        report_only: flags.report_only || table.report_only.as_ref().is_some_and(|v| *v.get_ref()),
        debug_header: flags.debug_header || table.debug_header.as_ref().is_some_and(|v| *v.get_ref()),
        egress: guard.then_some(egress),
        resolve,
        admin_listen,
        metrics_on_listen: table.metrics_on_listen.as_ref().is_some_and(|v| *v.get_ref()),
        fast_path: table.fast_path.as_ref().is_none_or(|v| *v.get_ref()),
    })
}

/// The flags that set policy keys, as overrides of the `CORSAIR_*` names the policy reader
/// takes, each naming its flag.
fn flag_overrides(flags: &Flags) -> BTreeMap<&'static str, Override> {
    let mut m = BTreeMap::new();
    if !flags.allow_origins.is_empty() {
        m.insert("CORSAIR_ALLOW_ORIGINS", Override::flag("--allow-origin", flags.allow_origins.join(",")));
    }
    let lists = [
        ("CORSAIR_ALLOW_METHODS", "--allow-methods", &flags.allow_methods),
        ("CORSAIR_ALLOW_HEADERS", "--allow-headers", &flags.allow_headers),
        ("CORSAIR_EXPOSE_HEADERS", "--expose-headers", &flags.expose_headers),
    ];
    for (key, flag, v) in lists {
        if let Some(v) = v {
            m.insert(key, Override::flag(flag, v.clone()));
        }
    }
    if flags.allow_credentials {
        m.insert("CORSAIR_ALLOW_CREDENTIALS", Override::flag("--allow-credentials", "true"));
    }
    if let Some(s) = flags.max_age {
        m.insert("CORSAIR_MAX_AGE", Override::flag("--max-age", s.to_string()));
    }
    m
}

impl ProxyTable {
    /// Overrides keys of `self` with the keys `other` sets.
    fn merge(&mut self, other: ProxyTable) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
            listen,
            upstream,
            mode,
            routes,
            allow_targets,
            rate_per_client,
            rate_per_origin,
            rate_limit_store,
            tls_cert,
            tls_key,
            upstream_ca,
            forwarded,
            max_body_bytes,
            request_timeout_secs,
            connect_timeout_secs,
            max_connections,
            report_only,
            debug_header,
            egress_guard,
            egress_allow,
            admin_listen,
            metrics_on_listen,
            fast_path
        );
    }
}

/// Collects errors with their locations while the settings are read.
struct Reader<'a> {
    source: &'a Source,
    errors: ConfigErrors,
}

impl Reader<'_> {
    fn error(&mut self, key: &str, span: Option<Range<usize>>, message: String) {
        let location = match span {
            Some(s) => Location::in_text(&self.source.name, &self.source.text, s.start),
            None if key.starts_with("--") => Location { source: "command line".into(), line: 0, column: 0 },
            None => Location { source: self.source.name.clone(), line: 0, column: 0 },
        };
        self.errors.push_at(ConfigError::Setting { key: key.into(), message }, Some(location));
    }

    fn error_at(&mut self, key: &str, at: At, message: String) {
        match at {
            At::Span(s) => self.error(key, Some(s), message),
            At::Given(source) => self.errors.push_at(
                ConfigError::Setting { key: key.into(), message },
                Some(Location { source, line: 0, column: 0 }),
            ),
        }
    }

    fn socket_addr(&mut self, key: &str, text: &str, at: At) -> Option<SocketAddr> {
        let parsed = text.parse::<SocketAddr>().ok().or_else(|| {
            // `localhost:8787` is what people write; it means loopback, and we never resolve it.
            let port = text.strip_prefix("localhost:")?.parse::<u16>().ok()?;
            Some(SocketAddr::from(([127, 0, 0, 1], port)))
        });
        if parsed.is_none() {
            self.error_at(key, at, format!("`{text}` is not an address to listen on; write 127.0.0.1:8787 or [::1]:8787 (0.0.0.0:8787 for every interface)"));
        }
        parsed
    }

    fn upstream(&mut self, key: &str, text: &str, at: At) -> Option<Upstream> {
        match parse_upstream(text) {
            Ok(u) => Some(u),
            Err(message) => {
                self.error_at(key, at, message);
                None
            }
        }
    }

    fn target(&mut self, text: &str, span: Option<Range<usize>>) -> Option<TargetPattern> {
        let key = if span.is_some() { "proxy.allow_targets" } else { "--allow-target" };
        TargetPattern::parse(text).map_err(|m| self.error(key, span, m)).ok()
    }

    fn quota(&mut self, key: &str, v: &Spanned<String>) -> Option<Quota> {
        v.get_ref().parse::<Quota>().map_err(|e| self.error(key, Some(v.span()), e.to_string())).ok()
    }

    /// Reads `[proxy.rate_limit_store]`: every mistake at once, each at its key.
    fn store(&mut self, t: &StoreTable) -> StoreSettings {
        const KEY: &str = "proxy.rate_limit_store";
        let redis = match &t.kind {
            None => false,
            Some(k) => match k.get_ref().as_str() {
                "memory" => false,
                "redis" => true,
                other => {
                    self.error(
                        &format!("{KEY}.kind"),
                        Some(k.span()),
                        format!("`{other}` is not a store; write \"memory\" (this process) or \"redis\" (shared)"),
                    );
                    return StoreSettings::Memory;
                }
            },
        };
        if !redis {
            let redis_only = [
                ("url", t.url.as_ref().map(Spanned::span)),
                ("key_prefix", t.key_prefix.as_ref().map(Spanned::span)),
                ("timeout_ms", t.timeout_ms.as_ref().map(Spanned::span)),
                ("on_failure", t.on_failure.as_ref().map(Spanned::span)),
            ];
            for (name, span) in redis_only {
                if let Some(span) = span {
                    self.error(
                        &format!("{KEY}.{name}"),
                        Some(span),
                        "applies to the Redis store only; remove it, or set kind = \"redis\"".into(),
                    );
                }
            }
            return StoreSettings::Memory;
        }
        let url = match &t.url {
            Some(u) => {
                u.get_ref().parse::<RedisUrl>().map_err(|m| self.error(&format!("{KEY}.url"), Some(u.span()), m)).ok()
            }
            None => {
                let span = t.kind.as_ref().map(Spanned::span);
                self.error(
                    &format!("{KEY}.url"),
                    span,
                    "the Redis store needs an address: write url = \"redis://127.0.0.1:6379/0\"".into(),
                );
                None
            }
        };
        let key_prefix = match &t.key_prefix {
            None => Some(DEFAULT_KEY_PREFIX.to_owned()),
            Some(p) => {
                let text = p.get_ref();
                let printable = text.bytes().all(|b| b.is_ascii_graphic() && !b"{}".contains(&b));
                if text.is_empty() || text.len() > 100 || !printable {
                    self.error(
                        &format!("{KEY}.key_prefix"),
                        Some(p.span()),
                        "write 1 to 100 printable ASCII characters without spaces or braces, e.g. \"corsair:rl:\""
                            .into(),
                    );
                    None
                } else {
                    Some(text.clone())
                }
            }
        };
        let timeout = match &t.timeout_ms {
            None => Some(DEFAULT_TIMEOUT),
            Some(v) => self.ranged(&format!("{KEY}.timeout_ms"), v, 1, 10_000).map(Duration::from_millis),
        };
        let on_failure = match &t.on_failure {
            None => Some(WhenStoreFails::Admit),
            Some(v) => match v.get_ref().as_str() {
                "admit" => Some(WhenStoreFails::Admit),
                "refuse" => Some(WhenStoreFails::Refuse),
                other => {
                    self.error(
                        &format!("{KEY}.on_failure"),
                        Some(v.span()),
                        format!("`{other}` is unknown; write \"admit\" (serve unlimited while Redis fails) or \"refuse\" (answer 429)"),
                    );
                    None
                }
            },
        };
        match (url, key_prefix, timeout, on_failure) {
            (Some(url), Some(key_prefix), Some(timeout), Some(on_failure)) => {
                StoreSettings::Redis(RedisSettings { url, key_prefix, timeout, on_failure })
            }
            // Each `None` recorded its error.
            _ => StoreSettings::Memory,
        }
    }

    fn ranged(&mut self, key: &str, v: &Spanned<i64>, min: i64, max: i64) -> Option<u64> {
        let n = *v.get_ref();
        if (min..=max).contains(&n) {
            Some(n as u64)
        } else {
            self.error(key, Some(v.span()), format!("{n} is out of range; write a number from {min} to {max}"));
            None
        }
    }
}

/// Reads an upstream base URL: `http(s)://host[:port][/base]`, nothing else.
pub fn parse_upstream(text: &str) -> Result<Upstream, String> {
    let uri: Uri = text.parse().map_err(|_| format!("`{text}` is not a URL; write e.g. http://localhost:8080"))?;
    let scheme = match uri.scheme_str() {
        Some("http") => Scheme::HTTP,
        Some("https") => Scheme::HTTPS,
        Some(other) => return Err(format!("`{other}` upstreams are not proxied; write an http:// or https:// URL")),
        None => return Err(format!("`{text}` has no scheme; write http://{text}")),
    };
    let authority = uri.authority().cloned().ok_or_else(|| format!("`{text}` has no host"))?;
    if authority.as_str().contains('@') {
        return Err(format!("`{text}` holds credentials; the proxy does not put passwords in URLs"));
    }
    if uri.query().is_some() {
        return Err(format!("`{text}` has a query; an upstream is a base URL such as http://localhost:8080/v1"));
    }
    let base_path = uri.path().trim_end_matches('/').to_owned();
    Ok(Upstream { scheme, authority, base_path })
}

/// One `--resolve` entry: the rule every command reads (`HOST:PORT:ADDR`, `*` for any port),
/// or the proxy's older `HOST:ADDR` with an IPv4 address, which means any port.
fn parse_resolve(entry: &str) -> Result<ResolveRule, String> {
    if let Some((host, addr)) = entry.split_once(':').filter(|(_, a)| !a.contains(':')) {
        if let Ok(addr) = addr.parse::<std::net::Ipv4Addr>() {
            return format!("{host}:*:{addr}").parse();
        }
    }
    entry.parse()
}

#[cfg(test)]
mod tests {
    #[test]
    fn resolve_entries_read_the_shared_rule_and_the_older_form() {
        use std::net::IpAddr;
        let rule = |e: &str| super::parse_resolve(e).map(|r| (r.host, r.port, r.addr));
        let ip = |a: &str| a.parse::<IpAddr>().unwrap();
        assert_eq!(rule("api.test:127.0.0.2"), Ok(("api.test".into(), None, ip("127.0.0.2"))));
        assert_eq!(rule("api.test:*:::1"), Ok(("api.test".into(), None, ip("::1"))));
        assert_eq!(rule("Api.Test:8443:[::1]"), Ok(("api.test".into(), Some(8443), ip("::1"))));
        assert!(rule("api.test:::1").is_err(), "an IPv6 address needs the port part");
        assert!(rule("api.test").unwrap_err().contains("HOST:PORT:ADDR"));
    }

    use super::*;

    fn load_text(text: &str, flags: &Flags) -> Result<Config, ConfigErrors> {
        let source = Source { name: "corsair.toml".into(), text: text.into(), dir: PathBuf::from("/etc/corsair") };
        load(&source, flags, |_| None)
    }

    fn routes(c: &Config) -> &[Route] {
        match &c.mode {
            Mode::Gateway(r) => r,
            Mode::Open(_) => panic!("open mode"),
        }
    }

    #[test]
    fn dev_profile_serves_loopback_pages_on_loopback() {
        let flags = Flags { upstream: Some("http://localhost:8080".into()), ..Flags::default() };
        let c = load(&Source::dev(), &flags, |_| None).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8787".parse().unwrap());
        let r = routes(&c);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].prefix, "/");
        assert_eq!(r[0].upstream.authority.as_str(), "localhost:8080");
        let origins: Vec<String> = r[0].policy.origins().iter().map(|o| o.to_string()).collect();
        assert_eq!(origins, ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]);
        assert!(!r[0].policy.allows_credentials());
        assert!(c.egress.is_none());
    }

    #[test]
    fn allow_origin_flags_replace_the_dev_origins() {
        let flags = Flags {
            upstream: Some("http://localhost:8080".into()),
            allow_origins: vec!["https://app.example.com".into()],
            allow_credentials: true,
            allow_methods: Some("GET,POST".into()),
            ..Flags::default()
        };
        let c = load(&Source::dev(), &flags, |_| None).unwrap();
        let p = &routes(&c)[0].policy;
        assert_eq!(p.origins().len(), 1);
        assert!(p.allows_credentials());
    }

    #[test]
    fn no_upstream_says_what_to_write() {
        let err = load(&Source::dev(), &Flags::default(), |_| None).unwrap_err().to_string();
        assert!(err.contains("--upstream http://localhost:8080"), "{err}");
    }

    #[test]
    fn routes_profiles_and_longest_prefix_first() {
        let text = r#"
allow_origins = ["https://app.example.com"]
[profiles.admin]
allow_origins = ["https://admin.example.com"]
allow_credentials = true
[proxy]
listen = "0.0.0.0:8443"
upstream = "http://localhost:8080"
[[proxy.routes]]
prefix = "/admin/"
upstream = "https://localhost:9443/internal/"
profile = "admin"
strip_prefix = true
"#;
        let c = load_text(text, &Flags::default()).unwrap();
        let r = routes(&c);
        assert_eq!(r[0].prefix, "/admin");
        assert!(r[0].strip_prefix);
        assert_eq!(r[0].upstream.base_path, "/internal");
        assert_eq!(r[0].upstream.scheme, Scheme::HTTPS);
        assert!(r[0].policy.allows_credentials());
        assert_eq!(r[1].prefix, "/");
        assert!(!r[1].policy.allows_credentials());
    }

    #[test]
    fn profile_proxy_tables_override_key_by_key() {
        let text = r#"
allow_origins = ["https://app.example.com"]
[proxy]
listen = "127.0.0.1:9000"
upstream = "http://localhost:8080"
max_body_bytes = 1000
[profiles.prod.proxy]
listen = "0.0.0.0:443"
"#;
        let flags = Flags { profile: Some("prod".into()), ..Flags::default() };
        let c = load_text(text, &flags).unwrap();
        assert_eq!(c.listen, "0.0.0.0:443".parse().unwrap());
        assert_eq!(c.limits.max_body, 1000);
        let env = |k: &str| (k == "CORSAIR_LISTEN").then(|| "127.0.0.1:7000".to_owned());
        let source = Source { name: "c.toml".into(), text: text.into(), dir: PathBuf::new() };
        assert_eq!(load(&source, &flags, env).unwrap().listen, "127.0.0.1:7000".parse().unwrap());
    }

    #[test]
    fn every_error_at_once_with_line_and_column() {
        let text = r#"allow_origins = ["https://app.example.com"]
[proxy]
listen = "everywhere"
upstream = "ftp://files.example.com"
forwarded = "maybe"
max_body_bytes = -1
"#;
        let err = load_text(text, &Flags::default()).unwrap_err();
        let s = err.to_string();
        assert_eq!(err.len(), 4, "{s}");
        assert!(s.contains("corsair.toml:3:10: proxy.listen: `everywhere` is not an address"), "{s}");
        assert!(s.contains("corsair.toml:4:12: proxy.upstream: `ftp` upstreams are not proxied"), "{s}");
        assert!(s.contains("corsair.toml:5:13: proxy.forwarded: `maybe` is unknown"), "{s}");
        assert!(s.contains("corsair.toml:6:18: proxy.max_body_bytes: -1 is out of range"), "{s}");
    }

    #[test]
    fn unknown_proxy_keys_are_located() {
        let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstrem = \"http://localhost:1\"\n";
        let s = load_text(text, &Flags::default()).unwrap_err().to_string();
        assert!(s.starts_with("error: corsair.toml:3:1: unknown key `proxy.upstrem`; did you mean `upstream`?"), "{s}");
    }

    #[test]
    fn the_dev_profile_lets_authorization_through() {
        let flags = Flags { upstream: Some("http://localhost:8080".into()), ..Flags::default() };
        let c = load(&Source::dev(), &flags, |_| None).unwrap();
        let toml = routes(&c)[0].policy.to_toml();
        assert!(toml.contains("allow_headers = [\"*\", \"authorization\"]"), "{toml}");
        assert!(warnings(&c).is_empty(), "{:?}", warnings(&c));
    }

    #[test]
    fn a_list_flag_that_drops_the_dev_profiles_star_is_a_warning() {
        let flags = Flags {
            upstream: Some("http://localhost:8080".into()),
            allow_headers: Some("x-api-key".into()),
            ..Flags::default()
        };
        let c = load(&Source::dev(), &flags, |_| None).unwrap();
        let w = warnings(&c);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("flag --allow-headers replaces allow_headers = [\"*\", \"authorization\"] ((embedded dev profile):4:17)"), "{}", w[0]);
    }

    #[test]
    fn errors_from_flags_name_the_flag_not_a_variable() {
        let flags = Flags {
            upstream: Some("localhost:8080".into()),
            listen: Some("everywhere".into()),
            allow_origins: vec!["https://a.example/".into()],
            max_age: Some(100_000),
            ..Flags::default()
        };
        let s = load(&Source::dev(), &flags, |_| None).unwrap_err().to_string();
        assert!(!s.contains("CORSAIR_"), "{s}");
        for flag in [
            "flag --listen: proxy.listen:",
            "flag --allow-origin: `https://a.example/`",
            "flag --max-age: max_age = 100000",
            "flag --upstream: proxy.upstream:",
        ] {
            assert!(s.contains(&format!("error: {flag}")), "{flag} in\n{s}");
        }
        let env = |k: &str| (k == "CORSAIR_UPSTREAM").then(|| "ftp://x".to_owned());
        let s = load(&Source::dev(), &Flags::default(), env).unwrap_err().to_string();
        assert!(s.starts_with("error: environment variable CORSAIR_UPSTREAM: proxy.upstream: `ftp`"), "{s}");
    }

    #[test]
    fn open_mode_keys_in_a_gateway_are_errors_at_the_key() {
        let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\nallow_targets = [\"api.example.com\"]\nrate_per_client = \"60/minute\"\nrate_per_origin = \"60/minute\"\n";
        let err = load_text(text, &Flags::default()).unwrap_err();
        let s = err.to_string();
        assert_eq!(err.len(), 3, "{s}");
        assert!(s.contains("corsair.toml:4:17: proxy.allow_targets: applies to the open proxy only"), "{s}");
        assert!(s.contains("corsair.toml:5:19: proxy.rate_per_client: applies to the open proxy only"), "{s}");
        assert!(s.contains("corsair.toml:6:19: proxy.rate_per_origin: applies to the open proxy only"), "{s}");
        let flags = Flags { allow_targets: vec!["api.example.com".into()], ..Flags::default() };
        let s =
            load_text("allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\n", &flags)
                .unwrap_err()
                .to_string();
        assert!(s.contains("flag --allow-target: --allow-target: applies to the open proxy only"), "{s}");
    }

    const OPEN: &str = "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"open\"\nallow_targets = [\"api.example.com\"]\nrate_per_client = \"60/minute\"\n";

    fn open_store(c: &Config) -> &StoreSettings {
        match &c.mode {
            Mode::Open(open) => &open.store,
            Mode::Gateway(_) => panic!("gateway mode"),
        }
    }

    #[test]
    fn the_rate_limit_store_is_memory_unless_redis_is_configured() {
        let c = load_text(OPEN, &Flags::default()).unwrap();
        assert_eq!(open_store(&c), &StoreSettings::Memory);
        let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"redis\"\nurl = \"redis://10.0.0.5:6380/3\"\n");
        let c = load_text(&text, &Flags::default()).unwrap();
        let StoreSettings::Redis(r) = open_store(&c) else { panic!("{:?}", open_store(&c)) };
        assert_eq!(r.url.to_string(), "redis://10.0.0.5:6380/3");
        assert_eq!(
            (r.key_prefix.as_str(), r.timeout, r.on_failure),
            ("corsair:rl:", DEFAULT_TIMEOUT, WhenStoreFails::Admit)
        );
        let text = format!("{text}key_prefix = \"api:\"\ntimeout_ms = 20\non_failure = \"refuse\"\n");
        let StoreSettings::Redis(r) = open_store(&load_text(&text, &Flags::default()).unwrap()).clone() else {
            panic!()
        };
        assert_eq!(
            (r.key_prefix.as_str(), r.timeout, r.on_failure),
            ("api:", Duration::from_millis(20), WhenStoreFails::Refuse)
        );
        // A profile replaces the table whole.
        let text = format!("{text}[profiles.solo.proxy.rate_limit_store]\nkind = \"memory\"\n");
        let flags = Flags { profile: Some("solo".into()), ..Flags::default() };
        assert_eq!(open_store(&load_text(&text, &flags).unwrap()), &StoreSettings::Memory);
    }

    #[test]
    fn rate_limit_store_mistakes_are_located_and_say_what_to_write() {
        let text = format!(
            "{OPEN}rate_per_origin = \"2000000/second\"\n[proxy.rate_limit_store]\nkind = \"redis\"\nurl = \"rediss://cache:6380\"\nkey_prefix = \"a b\"\ntimeout_ms = 0\non_failure = \"deny\"\n"
        );
        let err = load_text(&text, &Flags::default()).unwrap_err();
        let s = err.to_string();
        assert_eq!(err.len(), 5, "{s}");
        assert!(s.contains("corsair.toml:6:19: proxy.rate_per_origin: is more than the Redis store counts"), "{s}");
        assert!(
            s.contains(
                "corsair.toml:9:7: proxy.rate_limit_store.url: `rediss://cache:6380`: TLS to Redis is not supported"
            ),
            "{s}"
        );
        assert!(s.contains("corsair.toml:10:14: proxy.rate_limit_store.key_prefix: write 1 to 100 printable"), "{s}");
        assert!(s.contains("corsair.toml:11:14: proxy.rate_limit_store.timeout_ms: 0 is out of range; write a number from 1 to 10000"), "{s}");
        assert!(
            s.contains("corsair.toml:12:14: proxy.rate_limit_store.on_failure: `deny` is unknown; write \"admit\""),
            "{s}"
        );

        let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"redis\"\n");
        let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
        assert!(s.contains("corsair.toml:7:8: proxy.rate_limit_store.url: the Redis store needs an address: write url = \"redis://127.0.0.1:6379/0\""), "{s}");
        let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"memcached\"\n");
        let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
        assert!(
            s.contains("corsair.toml:7:8: proxy.rate_limit_store.kind: `memcached` is not a store; write \"memory\""),
            "{s}"
        );
        let text = format!("{OPEN}[proxy.rate_limit_store]\nurl = \"redis://127.0.0.1\"\n");
        let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
        assert!(s.contains("corsair.toml:7:7: proxy.rate_limit_store.url: applies to the Redis store only; remove it, or set kind = \"redis\""), "{s}");
        let text = format!("{OPEN}[proxy.rate_limit_store]\nkind = \"redis\"\ntimeout = 50\n");
        let s = load_text(&text, &Flags::default()).unwrap_err().to_string();
        assert!(s.contains("corsair.toml:8:1: unknown key `proxy.rate_limit_store.timeout`"), "{s}");
        // Gateway mode has no rate limits to store.
        let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\n[proxy.rate_limit_store]\nkind = \"redis\"\n";
        let s = load_text(text, &Flags::default()).unwrap_err().to_string();
        assert!(s.contains("proxy.rate_limit_store: applies to the open proxy only"), "{s}");
    }

    #[test]
    fn gateway_keys_in_open_mode_are_errors_at_the_key() {
        let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"open\"\nallow_targets = [\"api.example.com\"]\nupstream = \"http://localhost:1\"\negress_guard = false\n";
        let s = load_text(text, &Flags::default()).unwrap_err().to_string();
        assert!(s.contains("corsair.toml:5:12: proxy.upstream: the open proxy takes its targets from the path"), "{s}");
        assert!(s.contains("corsair.toml:6:16: proxy.egress_guard: the open proxy always guards"), "{s}");
    }

    #[test]
    fn a_route_naming_a_missing_profile_is_located_at_the_name() {
        let text = r#"allow_origins = ["https://a.example"]
[profiles.admin]
allow_origins = ["https://admin.example"]
[proxy]
[[proxy.routes]]
prefix = "/a"
upstream = "http://localhost:1"
profile = "admn"
[[proxy.routes]]
prefix = "/b"
upstream = "http://localhost:2"
profile = "nope"
"#;
        let err = load_text(text, &Flags::default()).unwrap_err();
        let s = err.to_string();
        assert_eq!(err.len(), 2, "{s}");
        assert!(s.contains("error: corsair.toml:8:11: no profile `admn` in this file; choose one of: admin"), "{s}");
        assert!(s.contains("error: corsair.toml:12:11: no profile `nope` in this file"), "{s}");
    }

    #[test]
    fn a_profile_shared_by_routes_reports_its_errors_once() {
        let text = r#"allow_origins = ["https://a.example"]
[profiles.bad]
allow_origins = ["https://bad.example/"]
[proxy]
[[proxy.routes]]
prefix = "/a"
upstream = "http://localhost:1"
profile = "bad"
[[proxy.routes]]
prefix = "/b"
upstream = "http://localhost:2"
profile = "bad"
"#;
        let err = load_text(text, &Flags::default()).unwrap_err();
        assert_eq!(err.len(), 1, "{err}");
    }

    #[test]
    fn shape_policy_and_proxy_errors_come_together() {
        let text = "allow_origins = [\"https://a.example\"]\nmax_age = \"600\"\n[proxy]\nlisten = 8787\nupstrem = \"http://localhost:1\"\n";
        let s = load_text(text, &Flags::default()).unwrap_err().to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[0].starts_with("error: corsair.toml:2:11: max_age must be a whole number, not a string"), "{s}");
        assert!(
            lines[1]
                .starts_with("error: corsair.toml:4:10: proxy.listen must be a string in quotes, not a whole number"),
            "{s}"
        );
        assert!(lines[2].starts_with("error: corsair.toml:5:1: unknown key `proxy.upstrem`"), "{s}");
        // And once the shape is right, the policy's and the [proxy] table's values together.
        let text = "allow_origins = [\"https://a.example/\"]\n[proxy]\nlisten = \"everywhere\"\nupstream = \"http://localhost:1\"\n";
        let err = load_text(text, &Flags::default()).unwrap_err();
        assert_eq!(err.len(), 2, "{err}");
    }

    /// The keys serde reads, from its own error for a key it does not know.
    pub(super) fn serde_keys<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let message = toml::from_str::<T>("zzz = 1").unwrap_err().message().to_owned();
        let (_, expected) = message.split_once("expected one of").expect(&message);
        let mut keys: Vec<String> = expected.split(',').map(|k| k.trim().trim_matches('`').to_owned()).collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_shape_check_knows_exactly_the_keys_serde_reads() {
        let names = |keys: &[Key]| {
            let mut v: Vec<String> = keys.iter().map(|k| k.name.to_owned()).collect();
            v.sort();
            v
        };
        assert_eq!(names(PROXY_KEYS), serde_keys::<ProxyTable>());
        assert_eq!(names(ROUTE_KEYS), serde_keys::<RouteTable>());
        assert_eq!(names(STORE_KEYS), serde_keys::<StoreTable>());
        // The first column of the help's key lines: `  tls_cert, tls_key      PEM files...`.
        let documented: Vec<&str> = PROXY_KEYS_HELP
            .lines()
            .filter_map(|l| l.strip_prefix("  ").filter(|l| !l.starts_with(' ')))
            .flat_map(|l| l.split("  ").next().unwrap_or_default().split(", "))
            .collect();
        assert_eq!(names(PROXY_KEYS), {
            let mut d: Vec<String> = documented.iter().map(|d| d.to_string()).collect();
            d.sort();
            d
        });
    }

    #[test]
    fn the_gateways_variables_are_known_and_misspellings_are_not() {
        let (errors, warnings) =
            check_variables(["CORSAIR_LISTEN", "CORSAIR_UPSTREAM", "CORSAIR_UPSTRAEM", "CORSAIR_ALLOW_ORIGINS"]);
        assert_eq!(errors.len(), 1, "{errors}");
        assert!(errors.to_string().contains("did you mean CORSAIR_UPSTREAM?"), "{errors}");
        assert!(warnings.is_empty());
    }

    #[test]
    fn check_file_does_not_ask_for_what_flags_may_give() {
        let source = Source {
            name: "c.toml".into(),
            text: "allow_origins = [\"https://a.example\"]\n[proxy]\nlisten = \"127.0.0.1:1\"\n".into(),
            dir: PathBuf::new(),
        };
        assert!(check_file(&source, None, |_| None).is_ok());
        assert!(load(&source, &Flags::default(), |_| None).is_err(), "running it needs an upstream");
        let bad = Source { text: source.text.replace("127.0.0.1:1", "nowhere"), ..source };
        assert!(check_file(&bad, None, |_| None).unwrap_err().to_string().contains("c.toml:3:10: proxy.listen"));
    }

    #[test]
    fn open_mode_needs_targets_and_refuses_credentials_and_any_origin() {
        let text = "allow_origins = [\"https://app.example.com\"]\n[proxy]\nmode = \"open\"\n";
        let s = load_text(text, &Flags::default()).unwrap_err().to_string();
        assert!(s.contains("allow_targets"), "{s}");

        let flags = Flags {
            open: true,
            allow_targets: vec!["api.example.com".into()],
            allow_origins: vec!["https://app.example.com".into()],
            allow_credentials: true,
            ..Flags::default()
        };
        let s = load(&Source::dev(), &flags, |_| None).unwrap_err().to_string();
        assert!(s.contains("forwards no cookies"), "{s}");

        let flags = Flags { allow_credentials: false, allow_origins: vec!["*".into()], ..flags };
        let s = load(&Source::dev(), &flags, |_| None).unwrap_err().to_string();
        assert!(s.contains("open relay"), "{s}");
    }

    #[test]
    fn open_mode_turns_the_egress_guard_on() {
        let text = r#"allow_origins = ["https://app.example.com"]
refusal = "omit-headers"
[proxy]
mode = "open"
allow_targets = ["api.example.com", "*.example.org:8443"]
rate_per_client = "60/minute"
egress_allow = ["10.1.0.0/16"]
"#;
        let c = load_text(text, &Flags::default()).unwrap();
        assert!(c.egress.is_some());
        let Mode::Open(open) = &c.mode else { panic!("gateway mode") };
        assert!(
            matches!(open.policy.refusal(), corsair_core::RefusalStyle::RejectAll(_)),
            "unlisted origins are refused before the forwarder, whatever the file says"
        );
        assert_eq!(open.targets.len(), 2);
        assert!(open.per_client.is_some());
        assert!(open.per_origin.is_none());
    }

    #[test]
    fn tls_needs_both_files_relative_to_the_config() {
        let text = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n";
        let c = load_text(text, &Flags::default()).unwrap();
        assert_eq!(c.tls.unwrap().cert, PathBuf::from("/etc/corsair/cert.pem"));
        let half = "allow_origins = [\"https://a.example\"]\n[proxy]\nupstream = \"http://localhost:1\"\ntls_cert = \"cert.pem\"\n";
        assert!(load_text(half, &Flags::default()).unwrap_err().to_string().contains("both"));
    }

    #[test]
    fn target_patterns() {
        let exact = TargetPattern::parse("API.example.com").unwrap();
        assert!(exact.matches("api.example.com", 443));
        assert!(!exact.matches("x.api.example.com", 443));
        let sub = TargetPattern::parse("*.example.com:8443").unwrap();
        assert!(sub.matches("a.b.example.com", 8443));
        assert!(!sub.matches("example.com", 8443));
        assert!(!sub.matches("a.example.com", 443));
        assert!(!sub.matches("evilexample.com", 8443));
        assert_eq!(sub.to_string(), "*.example.com:8443");
        assert!(TargetPattern::parse("https://api.example.com").unwrap_err().contains("host name"));
        assert!(TargetPattern::parse("api.*.com").is_err());
        assert!(TargetPattern::parse("api.example.com:99999").is_err());
    }

    #[test]
    fn upstream_urls() {
        let u = parse_upstream("http://localhost:8080").unwrap();
        assert_eq!((u.scheme.as_str(), u.authority.as_str(), u.base_path.as_str()), ("http", "localhost:8080", ""));
        assert!(parse_upstream("localhost:8080").unwrap_err().contains("no scheme"));
        assert!(parse_upstream("http://user:pw@localhost").unwrap_err().contains("credentials"));
        assert!(parse_upstream("http://localhost/?a=1").unwrap_err().contains("query"));
    }
}
