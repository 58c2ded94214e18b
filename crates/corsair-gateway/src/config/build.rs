//! From the file, the flags and the environment to a [`Config`], in named steps.
//!
//! The file is parsed once (`PolicyFile<ProxyTable>`: the policy and the `[proxy]` tables in one
//! pass). Then each step reads the settings it owns from the three layers (flags over the
//! environment over the profile's `[proxy]` table over the top one), and records every mistake
//! where it was written; the steps go on after a mistake, so every error comes at once.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use corsair_core::policy_file::{Given, Overrides};
use corsair_core::{ConfigError, ConfigErrors, Location, Policy, PolicyFile};
use toml::Spanned;

use super::flags::flag_or_env;
use super::reader::{parse_resolve, At, Reader};
use super::table::ProxyTable;
use super::{Config, Flags, Forwarded, Limits, Mode, Open, Route, Source, TargetPattern, TlsFiles};
use crate::egress::{Cidr, Egress};
use crate::ratelimit::RedisStore;

/// Builds the configuration; with `complete` false, what flags may still give (an upstream,
/// the open proxy's targets) is not required.
pub(super) fn build(
    source: &Source,
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    complete: bool,
) -> Result<Config, ConfigErrors> {
    let file = PolicyFile::<ProxyTable>::parse_with_proxy(&source.name, &source.text)?;
    let profile = flags.profile.clone().or_else(|| env("CORSAIR_PROFILE").filter(|p| !p.is_empty()));
    let mut table = file.proxy().cloned().unwrap_or_default();
    if let Some(over) = profile.as_deref().and_then(|name| file.profile_proxy(name)) {
        table.merge(over.clone());
    }
    let mut r = Reader { source, errors: ConfigErrors::default() };

    let listen = match (flag_or_env(&flags.listen, "--listen", env, "CORSAIR_LISTEN"), &table.listen) {
        (Some(given), _) => r.socket_addr("proxy.listen", &given.value.clone(), given.into()),
        (None, Some(v)) => r.socket_addr("proxy.listen", v.get_ref(), At::Span(v.span())),
        (None, None) => Some(SocketAddr::from(([127, 0, 0, 1], 8787))),
    };
    let admin_listen =
        table.admin_listen.as_ref().and_then(|v| r.socket_addr("proxy.admin_listen", v.get_ref(), At::Span(v.span())));
    let open = flags.open || read_mode(&mut r, &table);

    // Flags over the environment, by type; an open proxy must not relay for unlisted origins at
    // all (the default refusal style lets the request through without CORS headers): its policy
    // always refuses them with a status, so the CORS layer stops them before the forwarder.
    let (env_overrides, unread) = Overrides::from_env(env);
    let mut overrides = flags.policy_overrides().or(env_overrides);
    if open {
        overrides.refusal = Some(Given::new("reject-all".to_owned(), "open mode"));
    }
    let mut policies = Policies { file: &file, overrides, unread: Some(unread), built: BTreeMap::new() };

    if !open {
        refuse_open_only_keys(&mut r, &table, flags);
    }
    let mode = if open {
        open_mode(&mut r, &table, flags, &mut policies, profile.as_deref(), complete)
    } else {
        gateway_mode(&mut r, &table, flags, env, &mut policies, profile.as_deref(), complete)
    };
    let tls = tls_files(&mut r, &table, flags, source);
    let upstream_ca = table.upstream_ca.as_ref().map(|p| source.dir.join(p.get_ref()));
    let forwarded = read_forwarded(&mut r, &table, open);
    let limits = read_limits(&mut r, &table);
    let egress = read_egress(&mut r, &table, open);
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
    let on = |v: &Option<Spanned<bool>>| v.as_ref().is_some_and(|v| *v.get_ref());
    Ok(Config {
        listen,
        mode,
        tls,
        upstream_ca,
        forwarded,
        limits,
        report_only: flags.report_only || on(&table.report_only),
        debug_header: flags.debug_header || on(&table.debug_header),
        egress,
        resolve,
        admin_listen,
        metrics_on_listen: on(&table.metrics_on_listen),
        fast_path: table.fast_path.as_ref().is_none_or(|v| *v.get_ref()),
    })
}

/// The policy of each profile the configuration names, built once (routes sharing a broken
/// profile report its errors once), with the same overrides.
struct Policies<'a> {
    file: &'a PolicyFile<ProxyTable>,
    overrides: Overrides,
    /// The environment's overrides that could not be read: reported with the first policy.
    unread: Option<ConfigErrors>,
    built: BTreeMap<Option<String>, Option<Arc<Policy>>>,
}

impl Policies<'_> {
    fn get(&mut self, r: &mut Reader, name: Option<&str>) -> Option<Arc<Policy>> {
        let key = name.map(str::to_owned);
        if let Some(p) = self.built.get(&key) {
            return p.clone();
        }
        let unread = self.unread.take().unwrap_or_default();
        let unreadable = !unread.is_empty();
        for e in unread {
            r.errors.push_at(e.error, e.location);
        }
        let policy = match self.file.policy_with(name, &self.overrides) {
            Ok(p) if !unreadable => Some(Arc::new(p)),
            Ok(_) => None,
            Err(errors) => {
                for e in errors {
                    r.errors.push_at(e.error, e.location);
                }
                None
            }
        };
        self.built.insert(key, policy.clone());
        policy
    }
}

/// `mode`: whether the file asks for the open proxy.
fn read_mode(r: &mut Reader, table: &ProxyTable) -> bool {
    let Some(m) = &table.mode else { return false };
    match m.get_ref().as_str() {
        "open" => true,
        "gateway" => false,
        other => {
            r.error("proxy.mode", Some(m.span()), format!("`{other}` is not a mode; write \"gateway\" or \"open\""));
            false
        }
    }
}

/// `[proxy]` keys that do nothing in a gateway are errors: a file that says more than it does
/// misleads whoever reads it.
fn refuse_open_only_keys(r: &mut Reader, table: &ProxyTable, flags: &Flags) {
    let open_only: [(&str, Option<Range<usize>>); 4] = [
        ("proxy.allow_targets", table.allow_targets.as_ref().map(Spanned::span)),
        ("proxy.rate_limit_store", table.rate_limit_store.as_ref().map(Spanned::span)),
        ("proxy.rate_per_client", table.rate_per_client.as_ref().map(Spanned::span)),
        ("proxy.rate_per_origin", table.rate_per_origin.as_ref().map(Spanned::span)),
    ];
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

/// The open proxy: its targets, rate limits and policy (never with credentials, never for any
/// origin).
fn open_mode(
    r: &mut Reader,
    table: &ProxyTable,
    flags: &Flags,
    policies: &mut Policies,
    profile: Option<&str>,
    complete: bool,
) -> Option<Mode> {
    let message =
        "the open proxy takes its targets from the path; remove upstream and routes, or run a gateway without --open";
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
                    "is more than the Redis store counts (its clock counts microseconds): write at most 1000000/second"
                        .into(),
                );
            }
        }
    }
    let policy = policies.get(r, profile);
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
}

/// The gateway: the `/` route (`upstream`, `--upstream`, `CORSAIR_UPSTREAM`) and
/// `[[proxy.routes]]`, longest prefix first.
fn gateway_mode(
    r: &mut Reader,
    table: &ProxyTable,
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    policies: &mut Policies,
    profile: Option<&str>,
    complete: bool,
) -> Option<Mode> {
    let default_policy = policies.get(r, profile);
    let mut routes = Vec::new();
    let top = match (flag_or_env(&flags.upstream, "--upstream", env, "CORSAIR_UPSTREAM"), &table.upstream) {
        (Some(given), _) => Some((given.value.clone(), given.into())),
        (None, Some(u)) => Some((u.get_ref().clone(), At::Span(u.span()))),
        (None, None) => None,
    };
    if let Some((text, at)) = top {
        let upstream = r.upstream("proxy.upstream", &text, at);
        if let (Some(upstream), Some(policy)) = (upstream, &default_policy) {
            let profile = profile.map(str::to_owned);
            routes.push(Route { prefix: "/".into(), upstream, strip_prefix: false, policy: policy.clone(), profile });
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
            Some(p) if !policies.file.profiles().contains(p.get_ref()) => {
                let error =
                    ConfigError::UnknownProfile { name: p.get_ref().clone(), available: policies.file.profiles() };
                let at = Location::in_text(&r.source.name, &r.source.text, p.span().start);
                r.errors.push_at(error, Some(at));
                None
            }
            Some(p) => policies.get(r, Some(p.get_ref())),
            None => default_policy.clone(),
        };
        let upstream = r.upstream("proxy.routes.upstream", t.upstream.get_ref(), At::Span(t.upstream.span()));
        if let (Some(upstream), Some(policy)) = (upstream, policy) {
            routes.push(Route {
                prefix,
                upstream,
                strip_prefix: t.strip_prefix.as_ref().is_some_and(|s| *s.get_ref()),
                policy,
                profile: t.profile.as_ref().map(|p| p.get_ref().clone()).or_else(|| profile.map(str::to_owned)),
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
}

/// TLS on the listener: both files or neither, relative to the config file.
fn tls_files(r: &mut Reader, table: &ProxyTable, flags: &Flags, source: &Source) -> Option<TlsFiles> {
    let cert = flags.tls_cert.clone().or_else(|| table.tls_cert.as_ref().map(|p| source.dir.join(p.get_ref())));
    let key = flags.tls_key.clone().or_else(|| table.tls_key.as_ref().map(|p| source.dir.join(p.get_ref())));
    match (cert, key) {
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
    }
}

/// `forwarded`; an open proxy reaches third parties: they learn nothing of its users by default.
fn read_forwarded(r: &mut Reader, table: &ProxyTable, open: bool) -> Forwarded {
    match &table.forwarded {
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
    }
}

/// Sizes, times and counts, each within its range.
fn read_limits(r: &mut Reader, table: &ProxyTable) -> Limits {
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
    limits
}

/// The SSRF guard: always on in open mode, on request in a gateway, with the ranges it lets
/// through.
fn read_egress(r: &mut Reader, table: &ProxyTable, open: bool) -> Option<Egress> {
    let guard = open || table.egress_guard.as_ref().is_some_and(|g| *g.get_ref());
    let mut egress = Egress::default();
    for range in table.egress_allow.as_ref().map(|l| l.get_ref().as_slice()).unwrap_or_default() {
        match range.get_ref().parse::<Cidr>() {
            Ok(c) => egress = egress.allow(c),
            Err(e) => r.error("proxy.egress_allow", Some(range.span()), e.to_string()),
        }
    }
    guard.then_some(egress)
}
