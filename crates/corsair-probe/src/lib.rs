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

use std::net::IpAddr;
use std::time::Duration;

use corsair_core::browser::{Fetch, Intent, Request, Response, Step, Verdict};

pub use transport::TransportError;

/// How the probe connects.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// `HOST:PORT` to address overrides, as curl's `--resolve`.
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

/// One `--resolve HOST:PORT:ADDR` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    /// Host name, lower case.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Address to connect to instead of asking DNS.
    pub addr: IpAddr,
}

impl std::str::FromStr for Resolve {
    type Err = String;

    /// Parses `HOST:PORT:ADDR` (ADDR may be a bracketed IPv6 address).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not HOST:PORT:ADDR (e.g. api.example.com:443:127.0.0.1)");
        let (host, rest) = s.split_once(':').ok_or_else(bad)?;
        let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let addr: IpAddr = addr.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Resolve { host: host.to_ascii_lowercase(), port, addr })
    }
}

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

/// A configured prober.
pub struct Probe {
    options: ProbeOptions,
    tls: std::sync::Arc<rustls::ClientConfig>,
}

/// Most exchanges one check makes: a preflight and an actual request for each of 21 hops.
const MAX_EXCHANGES: usize = 2 * (corsair_core::browser::MAX_REDIRECTS as usize + 1) + 2;

impl Probe {
    /// Builds the TLS configuration (platform roots, or none with `insecure`).
    pub fn new(options: ProbeOptions) -> Result<Probe, TransportError> {
        let tls = transport::tls_config(options.insecure)?;
        Ok(Probe { options, tls })
    }

    /// Runs one fetch to its verdict.
    pub async fn run(&self, intent: Intent) -> Transcript {
        self.run_observed(intent, &mut |_| {}).await
    }

    /// Runs one fetch to its verdict, calling `on_send` as each request goes out (a CLI shows
    /// what a slow exchange is waiting for).
    pub async fn run_observed(&self, intent: Intent, on_send: &mut dyn FnMut(&Request)) -> Transcript {
        let mut fetch = Fetch::new(intent);
        let mut exchanges = Vec::new();
        loop {
            match fetch.next() {
                Step::Done(verdict) => return Transcript { exchanges, verdict },
                Step::Send(request) => {
                    on_send(&request);
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
        }
    }
}
