//! Fuzzes the DNS reply reader: see harness.rs (`harness::dns`).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::dns(data));
