#![no_main]

include!("../bodies/proxy_config.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
