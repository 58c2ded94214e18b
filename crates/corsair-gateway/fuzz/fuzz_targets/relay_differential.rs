#![no_main]

include!("../bodies/relay_differential.rs");

libfuzzer_sys::fuzz_target!(
    init: {
        // Rust programs ignore SIGPIPE before main; libFuzzer's main does not. The gateways write
        // to sockets the fuzzed client has closed (hyper with writev, which cannot say
        // MSG_NOSIGNAL), and must get EPIPE, as in `corsair proxy`, not die.
        // SAFETY: setting a signal's disposition to "ignore" before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
    },
    |data: &[u8]| run(data)
);
