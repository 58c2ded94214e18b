#![no_main]

include!("../bodies/relay_differential.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
