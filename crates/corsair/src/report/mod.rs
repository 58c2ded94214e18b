//! What each command reports, as data: the serde structs of every `--format json` document and
//! the one JSON writer ([`write_json`]), apart from the commands that decide what to report
//! (ripgrep's printer split).
//!
//! The structs are the documented contract (docs/check.md, docs/explain.md, docs/policy.md):
//! a field's name is its JSON key, and fields are declared in the order they are written. An
//! `Option<Option<T>>` field is absent when the outer is `None` and `null` for `Some(None)`:
//! a few objects carry a key only in some shapes (a page fix has no `preflight_status`).

pub mod check;
pub mod explain;
pub mod har;
pub mod policy;

use std::io::{self, Write};

use serde::Serialize;

/// Writes `doc` as one line of JSON: every `--format json` document goes out through here.
pub fn write_json<T: Serialize>(out: &mut dyn Write, doc: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, doc)?;
    out.write_all(b"\n")
}
