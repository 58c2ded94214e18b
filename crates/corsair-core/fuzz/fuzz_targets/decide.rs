#![no_main]

include!("../bodies/decide.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
