//! Fuzzes packet validation and decoding: arbitrary bytes under every instance configuration the
//! first byte selects must never panic, and anything accepted must re-encode.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::run(data));
