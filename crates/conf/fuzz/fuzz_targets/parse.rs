//! Fuzzes the whole reader: arbitrary bytes as keepalived.conf text (and as a file, and with
//! includes into a scratch directory) must load without panicking or hanging.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::run(data));
