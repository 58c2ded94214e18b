#![no_main]

include!("../bodies/console.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
