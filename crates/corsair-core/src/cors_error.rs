//! The catalogue of browser CORS failures (work in progress).

/// A CORS failure kind, mirroring Chromium's `CorsError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsError {
    /// No `Access-Control-Allow-Origin`.
    MissingAllowOriginHeader,
}
