//! The gateway's fuzz bodies (`fuzz/bodies/*.rs`) on stable, over the seeds in `fuzz/seeds/`,
//! hostile inputs and 10,000 pseudo-random inputs each (corsair-testkit's `fuzz` harness).
//! `cargo fuzz` (in `fuzz/`, nightly) explores far more.

mod proxy_config {
    include!("../fuzz/bodies/proxy_config.rs");
}

mod proxy_target {
    include!("../fuzz/bodies/proxy_target.rs");
}

mod relay_heads {
    include!("../fuzz/bodies/relay_heads.rs");
}

#[allow(dead_code)]
mod relay_differential {
    include!("../fuzz/bodies/relay_differential.rs");
}

use std::path::Path;

use corsair_testkit::fuzz;

/// Pieces of the config and URL formats, spliced into inputs so random edits reach deep
/// branches.
const FRAGMENTS: &[&[u8]] = &[
    b"[proxy]\n",
    b"[[proxy.routes]]\n",
    b"[profiles.a.proxy]\n",
    b"[profiles.a]\n",
    b"listen = \"",
    b"upstream = \"",
    b"prefix = \"/",
    b"profile = \"a\"\n",
    b"mode = \"open\"\n",
    b"allow_targets = [\"",
    b"allow_origins = [\"",
    b"egress_allow = [\"",
    b"rate_per_client = \"",
    b"strip_prefix = true\n",
    b"max_body_bytes = ",
    b"tls_cert = \"",
    b"forwarded = \"",
    b"\"",
    b"]",
    b"\n",
    b"https://",
    b"http://",
    b"ftp://",
    b"/https:/",
    b"*.",
    b":8443",
    b":99999",
    b"[::1]",
    b"127.0.0.1",
    b"0.0.0.0:",
    b"localhost",
    b"user:pw@",
    b"/",
    b"?",
    b"#",
    b"%",
    b"60/minute",
    b"/s",
    b"0/",
    b"18446744073709551616",
    b"\x00",
    b"\xff",
    b"GET / HTTP/1.1\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.0 204 \r\n",
    b"Host: a\r\n",
    b"Content-Length: 5\r\n",
    b"Content-Length: 5, 5\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Connection: close, x-a\r\n",
    b"X-Forwarded-For: 10.0.0.1\r\n",
    b"\r\n\r\n",
    b"\r\n",
    b"\n",
    b"0\r\n\r\n",
    b";ext=1",
    b"ffffffffffffffff",
    "bücher".as_bytes(),
];

fn exercise(target: &str, seed: u64, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(target);
    fuzz::exercise(&dir, FRAGMENTS, Vec::new(), seed, run);
}

#[test]
fn proxy_config_body() {
    exercise("proxy_config", 0xc0f1_6000_0000_0001, proxy_config::run);
}

#[test]
fn relay_heads_body() {
    exercise("relay_heads", 0x2e1a_7000_0000_0003, relay_heads::run);
}

#[test]
fn proxy_target_body() {
    exercise("proxy_target", 0x7a26_e700_0000_0002, proxy_target::run);
}

/// Through sockets, so the seeds (the smuggling suite's cases), the hostile inputs and a few
/// hundred random ones; `cargo fuzz run relay_differential` runs for as long as it is given.
#[test]
fn relay_differential_body() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/relay_differential");
    fuzz::exercise_n(&dir, FRAGMENTS, Vec::new(), 0xd1ff_0000_0000_0004, 200, relay_differential::run);
}
