//! Sysctl reads and writes through /proc/sys, in the dotted names operators type.
//! `Saved` remembers the values we changed so they can be put back on stop.

use crate::{Result, io};

// As sysctl(8): in a dotted name a '/' stands for a '.' inside one component (`conf.vrrp/51`).
fn path(name: &str) -> String {
    let p: String = name
        .chars()
        .map(|c| match c {
            '.' => '/',
            '/' => '.',
            c => c,
        })
        .collect();
    format!("/proc/sys/{p}")
}

/// Read a sysctl (e.g. `net.ipv4.conf.eth0.arp_ignore`; `net.ipv4.conf.vrrp/51.rp_filter` for
/// an interface with a dot in its name), trimmed.
pub fn read(name: &str) -> Result<String> {
    std::fs::read_to_string(path(name))
        .map(|s| s.trim().to_string())
        .map_err(io(format!("reading sysctl {name}")))
}

/// Write a sysctl.
pub fn write(name: &str, value: &str) -> Result<()> {
    std::fs::write(path(name), value).map_err(io(format!("writing sysctl {name}={value}")))
}

/// Sysctls we changed, with their old values, restored by [`Saved::restore`].
#[derive(Debug, Default)]
pub struct Saved(Vec<(String, String)>);

impl Saved {
    /// Set `name` to `value`, remembering the old value the first time.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let old = read(name)?;
        if old != value {
            write(name, value)?;
            if !self.0.iter().any(|(n, _)| n == name) {
                self.0.push((name.to_string(), old));
            }
        }
        Ok(())
    }

    /// Put back every old value, newest first; returns the failures (an interface may be gone).
    pub fn restore(&mut self) -> Vec<crate::Error> {
        let mut errs = Vec::new();
        while let Some((n, v)) = self.0.pop() {
            if let Err(e) = write(&n, &v) {
                errs.push(e);
            }
        }
        errs
    }
}
