//! Embeds the web page's WebAssembly (`corsair ui`) when it has been built.
//!
//! The module is crates/corsair-web compiled for `wasm32-unknown-unknown`, a target a build
//! script cannot build without running cargo inside cargo (a second build of the workspace with
//! its own locks and target directory). So it is built as its own step, before this crate:
//!
//! ```text
//! cargo build -p corsair-web --target wasm32-unknown-unknown --profile wasm
//! ```
//!
//! and this script finds it: at `CORSAIR_WEB_WASM` if set, else at
//! `wasm32-unknown-unknown/wasm/corsair_web.wasm` in the target directory this build uses. It
//! writes `corsair_web.js` into `OUT_DIR`: the module's bytes as base64 in one global, which the
//! page loads as a script (its Content-Security-Policy forbids every connection, `fetch` of its
//! own `.wasm` included). Without the module the script is a comment, and `corsair ui` says how
//! to build it. Nothing binary is committed.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=CORSAIR_WEB_WASM");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let found = match env::var_os("CORSAIR_WEB_WASM") {
        Some(p) => Some(PathBuf::from(p)),
        None => find_in_target_dir(&out),
    };
    let wasm = found.as_deref().and_then(|p| {
        println!("cargo:rerun-if-changed={}", p.display());
        fs::read(p).ok().filter(|b| b.starts_with(b"\0asm"))
    });
    let (script, size) = match &wasm {
        Some(bytes) => (format!("globalThis.CORSAIR_WASM = \"{}\";\n", base64(bytes)), bytes.len()),
        None => ("// This corsair was built without the WebAssembly module: see docs/ui.md.\n".to_owned(), 0),
    };
    fs::write(out.join("corsair_web.js"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-env=EMBEDDED_WEB_WASM_BYTES={size}");
}

/// `OUT_DIR` is `<target>/[<triple>/]<profile>/build/corsair-<hash>/out`: the first ancestor that
/// holds the module is the target directory.
fn find_in_target_dir(out: &Path) -> Option<PathBuf> {
    out.ancestors()
        .map(|dir| dir.join("wasm32-unknown-unknown").join("wasm").join("corsair_web.wasm"))
        .find(|p| p.is_file())
}

/// Standard base64 with padding (RFC 4648, section 4), which `atob` reads.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}
