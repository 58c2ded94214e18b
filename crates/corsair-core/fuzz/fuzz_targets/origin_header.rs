#![no_main]

include!("../bodies/origin_header.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
