//! # corsair-probe
//!
//! Asks a live server what a browser would ask, and lets [`corsair_core::browser::Fetch`] judge
//! the answers. The model decides every request (preflight, actual, each redirect hop); this crate
//! only moves bytes: DNS (with curl-style `--resolve` overrides), TCP, TLS (rustls, ALPN `h2` then
//! `http/1.1`), one HTTP exchange per connection, response heads only (bodies are never read).
//!
//! ```no_run
//! # async fn demo() {
//! use corsair_core::browser::Intent;
//! use corsair_core::Origin;
//! use corsair_probe::{Probe, ProbeOptions};
//!
//! let intent = Intent::new("https://api.example.com/items".parse().unwrap(),
//!                          Origin::parse("https://app.example.com").unwrap());
//! let transcript = Probe::new(ProbeOptions::default()).unwrap().run(intent).await;
//! println!("{:?}", transcript.verdict.console_message());
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod transport;

use std::time::Duration;

use corsair_core::browser::{Fetch, Intent, Request, Response, SendKind, Step, Verdict};

pub use transport::TransportError;

/// How the probe connects.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Host (and port) to address overrides, as curl's `--resolve`.
    pub resolve: Vec<Resolve>,
    /// Limit for each exchange (connect, TLS and response head).
    pub timeout: Duration,
    /// Accept any TLS certificate (self-signed development servers).
    pub insecure: bool,
    /// The `User-Agent` sent.
    pub user_agent: String,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            resolve: Vec::new(),
            timeout: Duration::from_secs(10),
            insecure: false,
            user_agent: concat!("corsair/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// One `--resolve` rule (`HOST:PORT:ADDR`, `*` for any port): the core's, shared with the
/// proxy so both read the same syntax.
pub use corsair_core::address::ResolveRule as Resolve;

/// One request the model sent and what came back.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The request, as the model made it (the transport adds `Host` and `User-Agent`).
    pub request: Request,
    /// The response head, unless the transport failed.
    pub response: Result<Received, TransportError>,
}

/// A response head as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The HTTP version of the status line: `HTTP/1.0`, `HTTP/1.1` or `HTTP/2`.
    pub version: &'static str,
    /// The reason phrase as the server wrote it (`Okey-dokey`, or empty), not the canonical one;
    /// `None` over HTTP/2, which has none.
    pub reason: Option<String>,
    /// The response.
    pub response: Response,
}

/// Everything that happened, in order, and the verdict.
#[derive(Clone, Debug)]
pub struct Transcript {
    /// Every exchange.
    pub exchanges: Vec<Exchange>,
    /// The browser model's verdict.
    pub verdict: Verdict,
}

impl Transcript {
    /// The transport failure that ended the check, if one did; then the verdict says little about
    /// CORS and the caller should report "could not check".
    pub fn transport_error(&self) -> Option<&TransportError> {
        self.exchanges.last().and_then(|e| e.response.as_ref().err())
    }
}

/// How far [`Probe::run_until`] goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Until {
    /// To the verdict: every request the browser would send is sent, the actual one included.
    #[default]
    Verdict,
    /// Up to the actual request, which is not sent: a preflight has no side effects, the
    /// request itself (a `PUT`, a `DELETE`) may have.
    Preflight,
}

/// How a [`Probe::run_until`] ended.
#[allow(clippy::large_enum_variant)] // One per check: boxing would buy nothing.
#[derive(Clone, Debug)]
pub enum Run {
    /// The fetch reached its verdict.
    Done(Transcript),
    /// It stopped before the actual request.
    Stopped(Stopped),
}

/// A fetch stopped before its actual request ([`Until::Preflight`]).
#[derive(Clone, Debug)]
pub struct Stopped {
    /// The exchanges made: the preflight (and any redirect hops before it), or none when the
    /// browser sends the request without one.
    pub exchanges: Vec<Exchange>,
    /// The request the browser would send next, not sent.
    pub unsent: Request,
}

/// A configured prober.
pub struct Probe {
    options: ProbeOptions,
    tls: transport::Tls,
}

/// Most exchanges one check makes: a preflight and an actual request for each of 21 hops.
const MAX_EXCHANGES: usize = 2 * (corsair_core::browser::MAX_REDIRECTS as usize + 1) + 2;

impl Probe {
    /// A prober; its TLS configuration (platform roots, or none with `insecure`) is built on the
    /// first https exchange, and an error building it is that exchange's `Tls` error.
    pub fn new(options: ProbeOptions) -> Result<Probe, TransportError> {
        let tls = transport::Tls::new(options.insecure);
        Ok(Probe { options, tls })
    }

    /// Runs one fetch to its verdict.
    pub async fn run(&self, intent: Intent) -> Transcript {
        let mut fetch = Fetch::new(intent);
        let mut exchanges = Vec::new();
        loop {
            match fetch.next() {
                Step::Done(verdict) => return Transcript { exchanges, verdict },
                Step::Send(request) => self.exchange(&mut fetch, request, &mut exchanges).await,
            }
        }
    }

    /// Runs one fetch until `until` says to stop, calling `on_send` as each request goes out
    /// (a CLI shows what a slow exchange waits for).
    pub async fn run_until(&self, intent: Intent, until: Until, on_send: &mut dyn FnMut(&Request)) -> Run {
        self.drive(intent, until, on_send).await
    }

    /// [`Probe::run_until`] the preflight, with a future that is `Send` (for spawned tasks:
    /// `run_until`'s `dyn FnMut` is not).
    pub async fn preflight_only(&self, intent: Intent) -> Run {
        self.drive(intent, Until::Preflight, |_: &Request| {}).await
    }

    async fn drive(&self, intent: Intent, until: Until, mut on_send: impl FnMut(&Request)) -> Run {
        let mut fetch = Fetch::new(intent);
        let mut exchanges = Vec::new();
        loop {
            match fetch.next() {
                Step::Done(verdict) => return Run::Done(Transcript { exchanges, verdict }),
                Step::Send(request) => {
                    if until == Until::Preflight && request.kind == SendKind::Actual {
                        return Run::Stopped(Stopped { exchanges, unsent: request });
                    }
                    on_send(&request);
                    self.exchange(&mut fetch, request, &mut exchanges).await;
                }
            }
        }
    }

    /// Sends one request the model asked for and feeds the outcome back.
    async fn exchange(&self, fetch: &mut Fetch, request: Request, exchanges: &mut Vec<Exchange>) {
        let result = if exchanges.len() >= MAX_EXCHANGES {
            Err(TransportError::Http("too many requests for one check".to_owned()))
        } else {
            let sent = transport::send(&request, &self.options, &self.tls);
            match tokio::time::timeout(self.options.timeout, sent).await {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout(self.options.timeout)),
            }
        };
        match &result {
            Ok(received) => fetch.receive(received.response.clone()),
            Err(e) => fetch.fail(e.net_error()),
        }
        exchanges.push(Exchange { request, response: result });
    }
}
