//! The fuzz targets' bodies (`fuzz/bodies/*.rs`), run on stable over a fixed corpus: the seeds
//! in `fuzz/seeds/`, hostile inputs, and 10,000 pseudo-random inputs per target from a fixed
//! seed (random bytes, and seeds mutated with protocol fragments). `cargo fuzz` explores far
//! more; this keeps every body exercised by `cargo test`.

mod origin_header {
    include!("../fuzz/bodies/origin_header.rs");
}
mod header_list {
    include!("../fuzz/bodies/header_list.rs");
}
mod decide {
    include!("../fuzz/bodies/decide.rs");
}
mod policy_file {
    include!("../fuzz/bodies/policy_file.rs");
}
mod console {
    include!("../fuzz/bodies/console.rs");
}
mod har {
    include!("../fuzz/bodies/har.rs");
}

use std::path::Path;

use corsair_testkit::fuzz;

/// Fragments of the protocol, spliced into inputs so they reach deep branches.
const FRAGMENTS: &[&[u8]] = &[
    b"https://",
    b"http://",
    b"wss://",
    b"file://",
    b"*.",
    b":*",
    b"*",
    b"null",
    b"NULL",
    b"[::1]",
    b"[::ffff:7f00:1]",
    b"localhost",
    b"example.com",
    b"xn--bcher-kva",
    "bücher".as_bytes(),
    b"127.0.0.1",
    b"127.1",
    b"0x7f",
    b":443",
    b":80",
    b":0",
    b":65536",
    b"/",
    b"?",
    b"#",
    b"@",
    b"%",
    b",",
    b", ",
    b",,,,",
    b"\n",
    b"\t",
    b" ",
    b":",
    b";",
    b"content-type",
    b"authorization",
    b"x-a",
    b"PUT",
    b"patch",
    b"OPTIONS",
    b"GET, DELETE",
    b"true",
    b"text/plain",
    b"bytes=0-",
    b"sec-",
    b"proxy-",
    b"allow_origins = [",
    b"allow_methods = [",
    b"allow_credentials = true\n",
    b"[profiles.a]\n",
    b"[profiles.a.profiles.b]\n",
    b"max_age = ",
    b"\"",
    b"]",
    b"\n",
    b"=",
    b"refusal = \"reject-all\"\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r\n",
];

/// Inputs built for one target: for `decide`, control bytes for every policy and method, with
/// floods in each position; for `console`, floods of message starts and of what ends a value.
fn extra(target: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if target == "console" {
        for flood in [
            "Access to fetch at '",
            "' from origin '",
            "Cross-Origin Request Blocked: ",
            "(Reason: ",
            "Origin ",
            " is not allowed by Access-Control-Allow-Origin.",
            "\n",
            "\u{2019}",
            "{\"",
        ] {
            out.push(flood.repeat(3000).into_bytes());
            out.push(format!("\x10\x02\x05{}", flood.repeat(500)).into_bytes());
        }
    }
    if target == "har" {
        // Deep nesting, a flood of entries, and wrong types where strings and lists belong.
        out.push(format!("{}{}", "{\"log\":".repeat(5000), "}".repeat(5000)).into_bytes());
        let entry = r#"{"request":{"method":"GET","url":"http://a.test/","headers":[{"name":"Origin","value":"http://b.test"}]},"response":{"status":200,"headers":[]}}"#;
        out.push(format!(r#"{{"log":{{"entries":[{}]}}}}"#, vec![entry; 3000].join(",")).into_bytes());
        out.push(br#"{"log":{"entries":[{"request":{"method":[],"url":{}},"response":{"status":"200"}}]}}"#.to_vec());
        out.push(
            br#"{"log":{"entries":[{"request":{"method":"GET","url":"http://a.test/"},"response":{"status":70000}}]}}"#
                .to_vec(),
        );
    }
    if target == "decide" {
        for control in [0u8, 4, 5, 6, 7, 12, 20, 31] {
            out.push([&[control][..], b"https://app.example.com\nPUT\n", &vec![b','; 1 << 16]].concat());
            out.push([&[control][..], b"https://app.example.com\nPUT\n", &b"x-a\n".repeat(2000)].concat());
            out.push([&[control][..], &vec![b'a'; 5000]].concat());
        }
    }
    out
}

fn exercise(target: &str, seed: u64, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(target);
    fuzz::exercise(&dir, FRAGMENTS, extra(target), seed, run);
}

#[test]
fn origin_header_body() {
    exercise("origin_header", 0x0123_4567_89ab_cdef, origin_header::run);
}

#[test]
fn header_list_body() {
    exercise("header_list", 0xfeed_face_cafe_beef, header_list::run);
}

#[test]
fn decide_body() {
    exercise("decide", 0x5eed_0000_0000_0001, decide::run);
}

#[test]
fn console_body() {
    exercise("console", 0xc0de_c0de_0000_0012, console::run);
}

#[test]
fn har_body() {
    exercise("har", 0x4a5_0000_0000_0019, har::run);
}

#[test]
fn policy_file_body() {
    exercise("policy_file", 0x0dd_ba11_c0ff_ee00, policy_file::run);
}
