//! Fuzzes the HTTP reply reader: see harness.rs (`harness::http`).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::http(data));
