//! Fuzzes the UDP reply reader: see harness.rs (`harness::udp`).
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| harness::udp(data));
