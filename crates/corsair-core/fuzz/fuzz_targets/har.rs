#![no_main]

include!("../bodies/har.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
