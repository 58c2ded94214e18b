//! The `[proxy]` table as written: its serde types (every value with its span, for errors at the
//! key), the keys the shape check knows ([`PROXY_KEYS`]) and their help ([`PROXY_KEYS_HELP`]);
//! a test holds all three to the same keys.

use corsair_core::policy_file::{Key, Kind, ProxySection};
use serde::Deserialize;
use toml::Spanned;

/// The `[proxy]` keys. Every key optional, so profiles override a few.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProxyTable {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) upstream: Option<Spanned<String>>,
    pub(super) mode: Option<Spanned<String>>,
    pub(super) routes: Option<Spanned<Vec<Spanned<RouteTable>>>>,
    pub(super) allow_targets: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) rate_per_client: Option<Spanned<String>>,
    pub(super) rate_per_origin: Option<Spanned<String>>,
    pub(super) rate_limit_store: Option<Spanned<StoreTable>>,
    pub(super) tls_cert: Option<Spanned<String>>,
    pub(super) tls_key: Option<Spanned<String>>,
    pub(super) upstream_ca: Option<Spanned<String>>,
    pub(super) forwarded: Option<Spanned<String>>,
    pub(super) max_body_bytes: Option<Spanned<i64>>,
    pub(super) request_timeout_secs: Option<Spanned<i64>>,
    pub(super) connect_timeout_secs: Option<Spanned<i64>>,
    pub(super) max_connections: Option<Spanned<i64>>,
    pub(super) report_only: Option<Spanned<bool>>,
    pub(super) debug_header: Option<Spanned<bool>>,
    pub(super) egress_guard: Option<Spanned<bool>>,
    pub(super) egress_allow: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) admin_listen: Option<Spanned<String>>,
    pub(super) metrics_on_listen: Option<Spanned<bool>>,
    pub(super) fast_path: Option<Spanned<bool>>,
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
pub(super) const ROUTE_KEYS: &[Key] = &[
    Key::new("prefix", Kind::String),
    Key::new("upstream", Kind::String),
    Key::new("profile", Kind::String),
    Key::new("strip_prefix", Kind::Bool),
];

/// The keys of `[proxy.rate_limit_store]`.
pub(super) const STORE_KEYS: &[Key] = &[
    Key::new("kind", Kind::String),
    Key::new("url", Kind::String),
    Key::new("key_prefix", Kind::String),
    Key::new("timeout_ms", Kind::Integer),
    Key::new("on_failure", Kind::String),
];

/// `[proxy.rate_limit_store]`, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StoreTable {
    pub(super) kind: Option<Spanned<String>>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) key_prefix: Option<Spanned<String>>,
    pub(super) timeout_ms: Option<Spanned<i64>>,
    pub(super) on_failure: Option<Spanned<String>>,
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

/// One `[[proxy.routes]]` entry, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RouteTable {
    pub(super) prefix: Spanned<String>,
    pub(super) upstream: Spanned<String>,
    pub(super) profile: Option<Spanned<String>>,
    pub(super) strip_prefix: Option<Spanned<bool>>,
}

/// The gateway reads the policy file with its `[proxy]` table: one parse, the table's keys
/// checked with the policy's.
impl ProxySection for ProxyTable {
    const KEYS: Option<&'static [Key]> = Some(PROXY_KEYS);
}

impl ProxyTable {
    /// Overrides keys of `self` with the keys `other` sets.
    pub(super) fn merge(&mut self, other: ProxyTable) {
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
