//! Fuzzes the SMTP reply reader: see harness.rs (`harness::smtp`).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::smtp(data));
