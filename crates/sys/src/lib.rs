//! keepalived-sys: everything Linux that keepalived-rs touches, behind plain types.
//! No VRRP or config knowledge here: callers pass addresses, ifindexes and byte slices.
//!
//! Public API (stable; additions only):
//! - [`socket::VrrpSocket`]: raw IP protocol 112 (or 51 for AH) socket per interface and family,
//!   TTL/hop limit 255, TOS/traffic class 0xC0, SO_BINDTODEVICE, multicast group joins, optional
//!   source address (`unicast_src_ip`); `send_to(bytes, dst)` and `recv() -> Received { src, dst,
//!   ttl, ifindex, packet, payload_offset }`. For v2 AH, open with `hdrincl` and pass the whole IPv4
//!   datagram (keepalived builds the IP header itself there). [`socket::Sockets`] hands out one
//!   shared socket per (interface, family, protocol). In bulk: `send_many` (sendmmsg),
//!   `recv_batch` (recvmmsg into a reused [`socket::RecvBatch`], decoded in place), and
//!   [`socket::RxSet`]: the sockets (opened with `open_batched`) in a one-shot epoll of their
//!   own, so a loop decides when a socket may wake it again.
//! - [`frame`]: `garp_frame(mac, ipv4)` (keepalived's: ARP request, sender = target = VIP, target MAC
//!   and Ethernet destination broadcast), `na_frame(mac, ipv6, router)` (unsolicited NA to ff02::1,
//!   override flag, target link-layer option, hop limit 255; router flag per [`frame::ipv6_router`]),
//!   [`frame::LinkSender`] (AF_PACKET) to send them.
//! - [`netlink::Netlink`]: addresses with every VIP-line option ([`netlink::AddrSpec`]: label, scope,
//!   brd, peer, noprefixroute, preferred/valid lifetime), list, tagged with [`netlink::OUR_ADDR_PROTO`]
//!   (IFA_PROTO) so leftovers of a crashed run are found by `remove_ours`; ifindex/name/MAC lookups;
//!   [`netlink::monitor`] streams link up/down and address events ([`netlink::monitor_links`]: links only); routes ([`netlink::RouteSpec`])
//!   and policy rules ([`netlink::RuleSpec`]) tagged with proto [`netlink::OUR_ROUTE_PROTO`];
//!   macvlan create/delete; set link up/down. [`netlink::AddrRenewer`]: many address
//!   add-or-replace requests (VIP lifetime renewals) in one send, answered only on error.
//! - [`release_free_memory`], [`release_startup_pages`], [`heap_usage`]: hand back the heap's
//!   free pages and the file pages start-up touched; glibc's heap figures.
//! - [`nft::Firewall`]: our own `inet keepalived_rs` table dropping traffic to VIPs (vrrp_strict / no accept).
//! - [`script`]: run an argv (no shell) as keepalived starts scripts: uid/gid, own process group,
//!   default signal dispositions, /dev/null for stdio, PR_SET_PDEATHSIG; timeout: SIGTERM then
//!   SIGKILL of the whole group; never blocks the caller. [`script_secure`]: keepalived's
//!   `check_script_secure` (PATH search, realpath, every path component root's).
//! - [`track`]: track_file (inotify) and track_process (/proc scan).
//! - [`vmac::Vmac`]: use_vmac macvlan (`vrrp.<VRID>`, mode private, 00:00:5e:00:01/02:VRID) with
//!   keepalived's sysctls (base: arp_ignore=1, arp_filter=1, restored on removal).
//! - [`alarm::Alarm`]: a timerfd wake-up at an absolute CLOCK_MONOTONIC time ([`alarm::monotonic`]),
//!   microsecond-exact where tokio's timers round up to the next millisecond.
//! - [`sched`]: the calling thread's nice value, SCHED_RR, CPU affinity; RLIMIT_RTTIME and mlockall.
//! - [`sysctl`]: read/write, with a [`sysctl::Saved`] that restores on request.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod alarm;
pub mod frame;
pub mod netlink;
pub mod nft;
pub mod sched;
pub mod script;
pub mod script_secure;
pub mod socket;
pub mod sysctl;
pub mod track;
pub mod vmac;

/// For a short-lived process that builds one large structure and exits (`-t`, `--dump-conf`):
/// the heap grows in steps of `step` bytes, is not trimmed, and what it holds is backed by
/// transparent huge pages where the kernel offers them (THP "madvise" mode, Debian's default),
/// so building a 10 MB configuration model costs a few hundred page faults instead of
/// thousands (as glibc's `glibc.malloc.hugetlb=1` tunable does). Not for the daemon: huge
/// pages would inflate its resident memory.
#[allow(unsafe_code)]
pub fn heap_for_one_big_build(step: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const HUGE: usize = 2 << 20;
        let step_i32 = i32::try_from(step).unwrap_or(i32::MAX);
        // SAFETY: mallopt takes plain integers; malloc/free pair on a block we own; sbrk(0)
        // only reads the break; madvise is advice on our own heap mapping (an error is harmless).
        unsafe {
            libc::mallopt(libc::M_TOP_PAD, step_i32);
            libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
            // glibc's largest threshold: big vectors stay in the (huge-paged) heap.
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            // Larger than what the heap has left, smaller than the mmap threshold: the heap
            // grows by it and `step`.
            let probe = libc::malloc(1 << 20);
            if probe.is_null() {
                return;
            }
            let start = (probe as usize).next_multiple_of(HUGE);
            libc::free(probe);
            let end = libc::sbrk(0) as usize;
            if end > start + HUGE {
                let len = (end - start) / HUGE * HUGE;
                libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = step;
}

/// Hands the allocator's free memory back to the kernel (glibc keeps freed heap otherwise): for
/// after start-up, when the configuration's trees are gone.
#[allow(unsafe_code)]
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims glibc's own arenas; it takes no pointer from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// glibc's view of the heap: (bytes in use, bytes free but kept), from mallinfo2.
#[allow(unsafe_code)]
pub fn heap_usage() -> (u64, u64) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads glibc's own bookkeeping and returns a plain struct.
        let m = unsafe { libc::mallinfo2() };
        ((m.uordblks + m.hblkhd) as u64, m.fordblks as u64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    (0, 0)
}

/// After start-up: unmaps the file pages (code, read-only data) that start-up touched and the
/// running loop may never touch again: every private, non-writable mapping of a file that holds
/// no page of its own (no copy-on-write page: MADV_DONTNEED would drop it). The pages stay in
/// the page cache; those the loop uses come back on first touch (a minor fault). Returns how many
/// bytes were mapped before.
#[allow(unsafe_code)]
pub fn release_startup_pages() -> u64 {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    let mut released = 0;
    let mut current: Option<(usize, usize)> = None;
    let mut rss = 0u64;
    let mut flush = |range: Option<(usize, usize)>, rss: u64, anon: u64| {
        let Some((start, end)) = range else { return };
        if anon != 0 || end <= start {
            return;
        }
        // SAFETY: [start, end) is one whole mapping of this process as the kernel listed it,
        // private, not writable and without private pages: dropping its page table entries
        // loses nothing, the next access reads the file's page again.
        // MADV_RANDOM first: a page touched again comes back alone, without the 64 KiB of
        // neighbours the kernel would otherwise map around it (fault-around).
        let r = unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_RANDOM);
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
        };
        if r == 0 {
            released += rss;
        }
    };
    for line in smaps.lines() {
        let mut words = line.split_ascii_whitespace();
        let (Some(first), Some(second)) = (words.next(), words.next()) else {
            continue;
        };
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            && second.len() == 4
        {
            // A new mapping: "start-end perms offset dev inode path".
            current = None;
            let path = line.split_ascii_whitespace().nth(5).unwrap_or("");
            let private_ro = second.as_bytes()[1] == b'-' && second.as_bytes()[3] == b'p';
            if private_ro && path.starts_with('/') && second.as_bytes()[0] == b'r' {
                current = Some((a, b));
            }
            rss = 0;
            continue;
        }
        match first {
            "Rss:" => rss = second.parse::<u64>().unwrap_or(0) * 1024,
            // "Anonymous:" comes after "Rss:" in every mapping's block.
            "Anonymous:" => {
                let anon = second.parse::<u64>().unwrap_or(1);
                flush(current.take(), rss, anon);
            }
            _ => {}
        }
    }
    released
}

/// Every failure of the I/O shell, saying what was attempted on what.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("netlink: {what}: {detail}")]
    Netlink { what: String, detail: String },
    #[error("{what}: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

pub(crate) fn errno(what: impl Into<String>) -> impl FnOnce(nix::errno::Errno) -> Error {
    let what = what.into();
    move |e| Error::Io {
        what,
        source: std::io::Error::from(e),
    }
}
