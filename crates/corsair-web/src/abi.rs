//! The WebAssembly ABI: bytes in, one operation, bytes out, through two buffers this module owns.
//!
//! ```text
//! ptr = corsair_input(len)    // room for the input; the page writes len bytes at ptr
//! n   = corsair_call(op)      // runs the operation (crate::Op) on them
//! ptr = corsair_output()      // the n bytes of JSON to read, valid until the next call
//! ```
//!
//! Rust never dereferences a pointer the page gives it: the page writes into and reads from
//! buffers Rust allocated and handed out, between calls, when no Rust reference to them is alive.
//! So there is no `unsafe` code here; `#[no_mangle]` is the only thing the lint objects to.

use std::cell::RefCell;

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes room for `len` input bytes (zeroed) and returns where the page is to write them. The
/// previous input is dropped, so memory follows the largest recent input, not the sum.
#[allow(unsafe_code)] // `no_mangle` only: the page finds the function by this name.
#[no_mangle]
pub extern "C" fn corsair_input(len: usize) -> *mut u8 {
    INPUT.with(|input| {
        let mut input = input.borrow_mut();
        *input = vec![0; len];
        input.as_mut_ptr()
    })
}

/// Runs operation `op` ([`crate::Op`]) on the input and returns the output's length in bytes.
/// The input is released; an unknown `op` gives `{"error": ...}`.
#[allow(unsafe_code)] // `no_mangle` only.
#[no_mangle]
pub extern "C" fn corsair_call(op: u32) -> usize {
    let input = INPUT.with(|input| std::mem::take(&mut *input.borrow_mut()));
    let out = match crate::Op::from_number(op) {
        Some(op) => crate::call(op, &input),
        None => crate::failure(&format!("no operation {op}")).to_string().into_bytes(),
    };
    let len = out.len();
    OUTPUT.with(|output| *output.borrow_mut() = out);
    len
}

/// Where the last call's output starts.
#[allow(unsafe_code)] // `no_mangle` only.
#[no_mangle]
pub extern "C" fn corsair_output() -> *const u8 {
    OUTPUT.with(|output| output.borrow().as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_operation_and_bad_bytes_are_errors_not_panics() {
        corsair_input(3);
        let n = corsair_call(99);
        let out = OUTPUT.with(|o| o.borrow().clone());
        assert_eq!(out.len(), n);
        assert!(String::from_utf8_lossy(&out).contains("no operation 99"));
        let ptr = corsair_input(2);
        assert!(!ptr.is_null());
        INPUT.with(|i| i.borrow_mut().copy_from_slice(&[0xff, 0xfe]));
        corsair_call(crate::Op::Policy as u32);
        let out = OUTPUT.with(|o| o.borrow().clone());
        assert!(String::from_utf8_lossy(&out).contains("not UTF-8"), "{}", String::from_utf8_lossy(&out));
    }
}
