//! (stub) to be written: see the module list in model/mod.rs.
//! Owned by one helper; keep every keyword of these blocks here with its default and range.

use super::Config;
use crate::System;
use crate::read::Reader;
use crate::tree::Node;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Bfd {}

/// Every block this module reads, with every keyword it accepts there (aliases included): the
/// source of "did you mean" suggestions and of the completeness test against keepalived.conf(5).
pub const KEYWORDS: &[(&str, &[&str])] = &[];

/// Reads `node` if it is a top-level keyword this module owns; returns whether it was.
pub fn read_top(_node: &Node, _r: &mut Reader<'_>, _cfg: &mut Config) -> bool {
    false
}

pub fn validate(_cfg: &mut Config, _r: &mut Reader<'_>, _sys: &dyn System) {}
