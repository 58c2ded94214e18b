//! # corsair-core
//!
//! The CORS protocol, both sides, with no I/O: what a server should answer
//! ([`Policy::decide`]) and what a browser will make of it ([`browser::Fetch`]), sharing one
//! vocabulary of [origins](Origin), [patterns](OriginPattern), [methods](method) and
//! [header safelists](safelist).
//!
//! ```
//! use corsair_core::Policy;
//! use http::{HeaderMap, HeaderValue, Method};
//!
//! let policy = Policy::builder()
//!     .allow_origin("https://app.example.com")
//!     .allow_methods(["PUT"])
//!     .build()
//!     .expect("a valid policy");
//!
//! let mut request = HeaderMap::new();
//! request.insert("origin", HeaderValue::from_static("https://app.example.com"));
//! let decision = policy.decide((&Method::GET, &request));
//! assert!(decision.is_allowed());
//! ```
//!
//! Insecure policies do not build: see [`ConfigError`] for every refusal and what to write
//! instead.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod browser;
pub mod config_error;
pub mod console;
pub mod cors_error;
pub mod har;
pub mod method;
pub mod origin;
pub mod pattern;
pub mod policy;
pub mod policy_file;
pub mod safelist;
// Public only for the fuzz bodies and property tests, which drive the list reader directly;
// not part of the API (it may change in any release).
#[doc(hidden)]
pub mod token;
pub mod vary;

pub use config_error::{ConfigError, ConfigErrors, Field, Located, Location};
pub use cors_error::CorsError;
pub use decision::{Action, CorsHeaders, Decision, Refusal, RefusalKind, RequestKind, RequestParts};
pub use origin::{Origin, OriginError, OriginRef};
pub use pattern::{OriginMatch, OriginPattern, OriginSet, PatternError};
pub use policy::decision;
pub use policy::{IntoToken, Policy, PolicyBuilder, RefusalStyle};
pub use policy_file::{Overrides, PolicyFile};
pub use vary::Vary;
