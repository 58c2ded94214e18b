#![no_main]

include!("../bodies/header_list.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
