//! Client networking shared by corsair's two clients, the probe (`corsair check`, `audit`) and
//! the gateway (`corsair proxy`'s upstreams): how a TLS client is configured and how a name is
//! pinned by `--resolve`, written once so the two cannot drift apart. The rule `--resolve`
//! entries follow is parsed in corsair-core ([`corsair_core::address::ResolveRule`]), which does
//! no I/O; what needs sockets, files or the platform's trust store lives here.
//!
//! ```
//! use corsair_core::address::ResolveRule;
//!
//! let pins: Vec<ResolveRule> = vec!["api.test:8443:127.0.0.2".parse().unwrap()];
//! let addr = corsair_net::resolve::pinned(&pins, "API.test", 8443).unwrap();
//! assert_eq!(addr.to_string(), "127.0.0.2:8443");
//!
//! let config = corsair_net::tls::client_config(corsair_net::tls::Trust::AnyCertificate).unwrap();
//! assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod resolve;
pub mod tls;
