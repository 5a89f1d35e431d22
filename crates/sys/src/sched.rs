//! Scheduling of the calling thread: nice value, SCHED_RR, CPU affinity, the real-time CPU
//! limit, memory locking. keepalived applies its `vrrp_*` / `checker_*` settings to a whole
//! process; keepalived-rs runs each side on its own thread, so every call here acts on the
//! calling thread only (Linux schedules threads, and these calls with id 0 mean "this thread"),
//! except [`lock_memory`] and [`set_rlimit_rttime`], which are per process by nature.
#![allow(unsafe_code)]

use std::io;

/// The calling thread's nice value (-20..=19; lower runs first). Raising it (a lower value)
/// needs CAP_SYS_NICE.
pub fn set_nice(nice: i32) -> io::Result<()> {
    // SAFETY: setpriority takes plain integers; `who` 0 with PRIO_PROCESS is the calling
    // thread on Linux.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Moves the calling thread to SCHED_RR at `priority` (1..=99), with SCHED_RESET_ON_FORK so
/// scripts it starts run as ordinary processes, as keepalived's do.
pub fn set_round_robin(priority: u8) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: i32::from(priority),
    };
    // SAFETY: `param` lives across the call; pid 0 is the calling thread.
    let rc =
        unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's current policy is SCHED_RR or SCHED_FIFO.
pub fn is_real_time() -> bool {
    // SAFETY: no arguments beyond the id; 0 is the calling thread.
    let policy = unsafe { libc::sched_getscheduler(0) };
    policy == libc::SCHED_RR || policy == libc::SCHED_FIFO
}

/// Pins the calling thread to `cpus`. CPUs beyond the set's size are an error.
pub fn set_affinity(cpus: &[u32]) -> io::Result<()> {
    let mut set = nix::sched::CpuSet::new();
    for &cpu in cpus {
        set.set(cpu as usize)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("CPU {cpu}: {e}")))?;
    }
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).map_err(io::Error::from)
}

/// RLIMIT_RTTIME in microseconds: a real-time thread that runs `soft` without blocking gets
/// SIGXCPU (the caller must handle it: its default action ends the process), `hard` kills it.
pub fn set_rlimit_rttime(soft: u64, hard: u64) -> io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `limit` lives across the call.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &limit) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Locks the process's memory, present and future, as it is touched (MCL_ONFAULT), so the
/// protocol never waits for a page to come back from swap.
pub fn lock_memory() -> io::Result<()> {
    // SAFETY: plain flags.
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_can_lower_its_own_priority_and_pin_itself() {
        std::thread::spawn(|| {
            set_nice(5).unwrap();
            // SAFETY: reading our own nice value.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
            assert_eq!(nice, 5);
            set_affinity(&[0]).unwrap();
            assert!(!is_real_time());
        })
        .join()
        .unwrap();
        assert!(set_affinity(&[100_000]).is_err());
    }
}
