#![no_main]

include!("../bodies/policy_file.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
