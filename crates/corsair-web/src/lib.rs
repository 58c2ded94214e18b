//! corsair's core, compiled to WebAssembly for the web page (`web/`, served by `corsair ui`).
//!
//! The page runs everything in the tab: a HAR full of secrets never leaves it. This crate is the
//! thin shell between the page's JavaScript and the I/O-free crates (`corsair-core`,
//! `corsair-snippet`): each operation takes text (JSON, a HAR, a TOML policy) and returns one JSON
//! document. No protocol rule lives here; the documents only arrange what the core decided, plus
//! the sequence diagram's steps.
//!
//! The ABI is four exported functions and no glue generator (see [`abi`]). The same operations
//! are plain Rust functions ([`call`]), which the tests call natively:
//!
//! ```
//! use corsair_web::{call, Op};
//!
//! let out = call(Op::Explain, br#"{"text": "Access to fetch at 'https://api.test/x' from origin 'https://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."}"#);
//! let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(doc["messages"][0]["error"]["kind"], "kMissingAllowOriginHeader");
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod abi;
mod diagram;
mod har;
mod message;
mod policy;

use serde_json::{json, Value};

/// The operations the page asks for, by the number it passes to [`abi::corsair_call`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Explain pasted console text: `{"text", "origin"?, "method"?, "headers"?: [..],
    /// "credentials"?: "include"}`.
    Explain = 1,
    /// Explain a HAR file: the file's text.
    Har = 2,
    /// Validate a policy file: its TOML text.
    Policy = 3,
    /// Decide a described request: `{"policy": TOML, "method", "headers": "Name: value" lines}`.
    Decide = 4,
    /// Every stack's snippet for a policy: its TOML text.
    Snippets = 5,
}

impl Op {
    /// The operation numbered `n`, if there is one.
    pub fn from_number(n: u32) -> Option<Op> {
        [Op::Explain, Op::Har, Op::Policy, Op::Decide, Op::Snippets].into_iter().find(|op| *op as u32 == n)
    }
}

/// Runs one operation on `input` and returns its JSON document. Never panics on bad input: what
/// cannot be read is `{"error": "..."}`.
pub fn call(op: Op, input: &[u8]) -> Vec<u8> {
    let doc = match std::str::from_utf8(input) {
        Err(e) => failure(&format!("the input is not UTF-8 text (invalid byte at offset {})", e.valid_up_to())),
        Ok(text) => match op {
            Op::Explain => message::explain(text),
            Op::Har => har::explain(text),
            Op::Policy => policy::check(text),
            Op::Decide => policy::decide(text),
            Op::Snippets => policy::snippets(text),
        },
    };
    doc.to_string().into_bytes()
}

/// The document for input that could not be read.
fn failure(message: &str) -> Value {
    json!({ "error": message })
}
