//! The QEMU tests' shared pieces: `tools/run-in-vm` (a kernel with IPVS) and our binary for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project's vendored harness.
pub fn run_in_vm() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/run-in-vm")
}

/// Copies our binary into `dir` as `name`, stripped when `strip` is at hand (the VM's memory
/// grows with what it is given).
pub fn copy_ours(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(super::ours(), &to).unwrap();
    let stripped = Command::new("strip")
        .arg(&to)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        eprintln!("note: strip failed; copying the unstripped binary into the VM");
        std::fs::copy(super::ours(), &to).unwrap();
    }
    to
}

/// Runs `run-in-vm ARGS`; `None` (with the skip notice) when the VM cannot start (exit 125).
pub fn run(args: &[&str]) -> Option<Output> {
    let out = Command::new(run_in_vm())
        .args(args)
        .output()
        .expect("tools/run-in-vm");
    if out.status.code() == Some(125) {
        eprintln!(
            "skipped: the VM could not start (tools/run-in-vm exit 125; its first run needs root \
             and apt-get access to fetch qemu and a kernel):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(out)
}
