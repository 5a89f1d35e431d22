//! Raw VRRP sockets: one per interface and family, shared by the instances on it.
//! Sends with keepalived's TTL 255 and TOS 0xC0; receives with source, destination, TTL and ifindex.

use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::{Error, Result, errno, io};

/// VRRP's IP protocol number.
pub const PROTO_VRRP: u8 = 112;
/// IPsec AH, used by VRRPv2 `auth_type AH`.
pub const PROTO_AH: u8 = 51;

/// What to open.
#[derive(Debug, Clone)]
pub struct SocketSpec {
    /// Interface name (SO_BINDTODEVICE) and its index.
    pub ifname: String,
    pub ifindex: u32,
    /// false: IPv4, true: IPv6.
    pub ipv6: bool,
    /// [`PROTO_VRRP`] or [`PROTO_AH`].
    pub protocol: u8,
    /// Multicast groups to join on the interface (224.0.0.18 / ff02::12 by default in keepalived).
    pub groups: Vec<IpAddr>,
    /// Source address to bind (`unicast_src_ip`, or the interface's primary address).
    pub src: Option<IpAddr>,
    /// IPv4 only: the caller supplies the whole IP header (keepalived does so for v2 AH adverts).
    pub hdrincl: bool,
}

impl SocketSpec {
    /// A plain VRRP socket on an interface, joined to the default group of the family.
    pub fn vrrp(ifname: &str, ifindex: u32, ipv6: bool) -> SocketSpec {
        let group = if ipv6 {
            IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12))
        } else {
            IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))
        };
        SocketSpec {
            ifname: ifname.to_string(),
            ifindex,
            ipv6,
            protocol: PROTO_VRRP,
            groups: vec![group],
            src: None,
            hdrincl: false,
        }
    }
}

/// One received datagram.
#[derive(Debug, Clone)]
pub struct Received {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 TTL (from the header) or IPv6 hop limit (from IPV6_HOPLIMIT).
    pub ttl: u8,
    pub ifindex: u32,
    /// IPv4: the whole datagram with its header; IPv6: the payload (the kernel strips the header).
    pub packet: Vec<u8>,
    /// Where the VRRP (or AH) bytes start in `packet`.
    pub payload_offset: usize,
}

impl Received {
    /// The bytes after the IP header.
    pub fn payload(&self) -> &[u8] {
        self.packet.get(self.payload_offset..).unwrap_or(&[])
    }
}

/// A raw VRRP socket registered with the tokio reactor.
pub struct VrrpSocket {
    fd: AsyncFd<Socket>,
    spec: SocketSpec,
    /// One receive buffer for the socket's life: a fresh zeroed 64 KiB per datagram cost more
    /// than the rest of the backup's work (and its page faults); a datagram is copied out at its
    /// own length.
    rx: std::sync::Mutex<RecvBuffers>,
}

/// The reusable receive buffers of one socket: data and control messages.
struct RecvBuffers {
    data: Box<[u8]>,
    cmsg: Vec<u8>,
}

impl RecvBuffers {
    fn new() -> Self {
        RecvBuffers {
            data: vec![0u8; 65536].into_boxed_slice(),
            cmsg: nix::cmsg_space!(libc::in6_pktinfo, libc::c_int, libc::in_pktinfo),
        }
    }
}

impl VrrpSocket {
    /// Open, bind to the device, set TTL/TOS and join the groups. Needs CAP_NET_RAW.
    pub fn open(spec: SocketSpec) -> Result<VrrpSocket> {
        let what = |s: &str| {
            format!(
                "VRRP socket on {} ({}): {s}",
                spec.ifname,
                if spec.ipv6 { "IPv6" } else { "IPv4" }
            )
        };
        let domain = if spec.ipv6 {
            Domain::IPV6
        } else {
            Domain::IPV4
        };
        let s = Socket::new(
            domain,
            Type::RAW,
            Some(Protocol::from(i32::from(spec.protocol))),
        )
        .map_err(io(what("socket")))?;
        s.bind_device(Some(spec.ifname.as_bytes()))
            .map_err(io(what("SO_BINDTODEVICE")))?;
        if spec.ipv6 {
            s.set_unicast_hops_v6(255)
                .map_err(io(what("IPV6_UNICAST_HOPS")))?;
            s.set_multicast_hops_v6(255)
                .map_err(io(what("IPV6_MULTICAST_HOPS")))?;
            s.set_multicast_loop_v6(false)
                .map_err(io(what("IPV6_MULTICAST_LOOP")))?;
            s.set_multicast_if_v6(spec.ifindex)
                .map_err(io(what("IPV6_MULTICAST_IF")))?;
            s.set_tclass_v6(0xc0).map_err(io(what("IPV6_TCLASS")))?;
            setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true)
                .map_err(errno(what("IPV6_RECVPKTINFO")))?;
            setsockopt(&s, sockopt::Ipv6RecvHopLimit, &true)
                .map_err(errno(what("IPV6_RECVHOPLIMIT")))?;
            for g in &spec.groups {
                if let IpAddr::V6(g) = g {
                    s.join_multicast_v6(g, spec.ifindex)
                        .map_err(io(what(&format!("join {g}"))))?;
                }
            }
            if let Some(IpAddr::V6(a)) = spec.src {
                let scope = if a.is_unicast_link_local() {
                    spec.ifindex
                } else {
                    0
                };
                let sa = SocketAddr::V6(SocketAddrV6::new(a, 0, 0, scope));
                s.bind(&SockAddr::from(sa))
                    .map_err(io(what(&format!("bind {a}"))))?;
            }
        } else {
            s.set_ttl_v4(255).map_err(io(what("IP_TTL")))?;
            s.set_multicast_ttl_v4(255)
                .map_err(io(what("IP_MULTICAST_TTL")))?;
            s.set_multicast_loop_v4(false)
                .map_err(io(what("IP_MULTICAST_LOOP")))?;
            s.set_tos_v4(0xc0).map_err(io(what("IP_TOS")))?;
            setsockopt(&s, sockopt::Ipv4PacketInfo, &true).map_err(errno(what("IP_PKTINFO")))?;
            if spec.hdrincl {
                s.set_header_included_v4(true)
                    .map_err(io(what("IP_HDRINCL")))?;
            }
            for g in &spec.groups {
                if let IpAddr::V4(g) = g {
                    s.join_multicast_v4_n(
                        g,
                        &socket2::InterfaceIndexOrAddress::Index(spec.ifindex),
                    )
                    .map_err(io(what(&format!("join {g}"))))?;
                }
            }
            if let Some(IpAddr::V4(a)) = spec.src {
                s.set_multicast_if_v4(&a)
                    .map_err(io(what("IP_MULTICAST_IF")))?;
                let sa = SocketAddr::new(IpAddr::V4(a), 0);
                s.bind(&SockAddr::from(sa))
                    .map_err(io(what(&format!("bind {a}"))))?;
            }
        }
        s.set_nonblocking(true).map_err(io(what("O_NONBLOCK")))?;
        // The AsyncFd owns the socket for its whole life, so the I/O-safety hole behind the
        // deprecation (a borrowed fd closed underneath) cannot happen here.
        #[allow(deprecated)]
        let fd = AsyncFd::new(s).map_err(io(what("registering with the runtime")))?;
        Ok(VrrpSocket {
            fd,
            spec,
            rx: std::sync::Mutex::new(RecvBuffers::new()),
        })
    }

    /// What this socket was opened with.
    pub fn spec(&self) -> &SocketSpec {
        &self.spec
    }

    /// Send one VRRP packet (or, with `hdrincl`, one whole IPv4 datagram) to `dst`.
    pub async fn send_to(&self, bytes: &[u8], dst: IpAddr) -> Result<()> {
        let scope = match dst {
            IpAddr::V6(a) if a.is_multicast() || a.is_unicast_link_local() => self.spec.ifindex,
            _ => 0,
        };
        let sa: SockAddr = match dst {
            IpAddr::V4(a) => SocketAddr::new(IpAddr::V4(a), 0).into(),
            IpAddr::V6(a) => SocketAddr::V6(SocketAddrV6::new(a, 0, 0, scope)).into(),
        };
        loop {
            let mut guard = self
                .fd
                .writable()
                .await
                .map_err(io(format!("send to {dst} on {}", self.spec.ifname)))?;
            match guard.try_io(|fd| fd.get_ref().send_to(bytes, &sa)) {
                Ok(r) => {
                    r.map_err(io(format!("send to {dst} on {}", self.spec.ifname)))?;
                    return Ok(());
                }
                Err(_would_block) => continue,
            }
        }
    }

    /// Receive the next datagram on this socket.
    pub async fn recv(&self) -> Result<Received> {
        loop {
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(io(format!("receive on {}", self.spec.ifname)))?;
            let mut bufs = self
                .rx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match guard.try_io(|fd| recv_one(fd.get_ref().as_raw_fd(), self.spec.ipv6, &mut bufs)) {
                Ok(r) => return r.map_err(io(format!("receive on {}", self.spec.ifname)))?,
                Err(_would_block) => continue,
            }
        }
    }
}

fn recv_one(fd: i32, ipv6: bool, bufs: &mut RecvBuffers) -> std::io::Result<Result<Received>> {
    let RecvBuffers { data, cmsg } = bufs;
    let (len, src, mut dst, mut ttl, ifindex) = {
        let mut iov = [IoSliceMut::new(data)];
        let msg = recvmsg::<SockaddrStorage>(fd, &mut iov, Some(cmsg), MsgFlags::empty())
            .map_err(std::io::Error::from)?;
        let src: Option<IpAddr> = msg.address.and_then(|a| {
            a.as_sockaddr_in()
                .map(|s| IpAddr::V4(s.ip()))
                .or_else(|| a.as_sockaddr_in6().map(|s| IpAddr::V6(s.ip())))
        });
        let (mut dst, mut ttl, mut ifindex) = (None, 0u8, 0u32);
        if let Ok(cm) = msg.cmsgs() {
            for c in cm {
                match c {
                    ControlMessageOwned::Ipv4PacketInfo(i) => {
                        ifindex = u32::try_from(i.ipi_ifindex).unwrap_or(0);
                        dst = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(i.ipi_addr.s_addr))));
                    }
                    ControlMessageOwned::Ipv6PacketInfo(i) => {
                        ifindex = i.ipi6_ifindex;
                        dst = Some(IpAddr::V6(Ipv6Addr::from(i.ipi6_addr.s6_addr)));
                    }
                    ControlMessageOwned::Ipv6HopLimit(h) => ttl = u8::try_from(h).unwrap_or(0),
                    _ => {}
                }
            }
        }
        (msg.bytes, src, dst, ttl, ifindex)
    };
    let buf = data.get(..len).unwrap_or(&[]).to_vec();
    let Some(src) = src else {
        return Ok(Err(Error::Invalid(
            "datagram without a source address".into(),
        )));
    };
    let mut offset = 0;
    if !ipv6 {
        if buf.len() < 20 {
            return Ok(Err(Error::Invalid(format!(
                "{len}-byte IPv4 datagram from {src}"
            ))));
        }
        offset = usize::from(buf[0] & 0x0f) * 4;
        ttl = buf[8];
        let d = Ipv4Addr::new(buf[16], buf[17], buf[18], buf[19]);
        dst = Some(IpAddr::V4(d));
    }
    let Some(dst) = dst else {
        return Ok(Err(Error::Invalid(format!(
            "no destination for datagram from {src}"
        ))));
    };
    Ok(Ok(Received {
        src,
        dst,
        ttl,
        ifindex,
        payload_offset: offset.min(buf.len()),
        packet: buf,
    }))
}

/// The open VRRP sockets, one per (interface, family, protocol), handed out shared to instances.
#[derive(Default)]
pub struct Sockets {
    open: std::collections::HashMap<(u32, bool, u8), std::sync::Arc<VrrpSocket>>,
    batched: bool,
}

impl Sockets {
    /// Opens its sockets with [`VrrpSocket::open_batched`], for an [`RxSet`].
    pub fn batched() -> Self {
        Sockets {
            open: Default::default(),
            batched: true,
        }
    }

    /// The socket for `spec`'s interface, family and protocol, opening it on first use. A later
    /// instance with other groups joins them on the shared socket.
    pub fn get(&mut self, spec: SocketSpec) -> Result<std::sync::Arc<VrrpSocket>> {
        let key = (spec.ifindex, spec.ipv6, spec.protocol);
        if let Some(s) = self.open.get(&key) {
            for g in spec.groups.iter().filter(|g| !s.spec.groups.contains(g)) {
                let sock = s.fd.get_ref();
                let r = match g {
                    IpAddr::V4(g) => sock.join_multicast_v4_n(
                        g,
                        &socket2::InterfaceIndexOrAddress::Index(spec.ifindex),
                    ),
                    IpAddr::V6(g) => sock.join_multicast_v6(g, spec.ifindex),
                };
                // EADDRINUSE: another instance already joined it; that is fine.
                if let Err(e) = r
                    && e.raw_os_error() != Some(libc::EADDRINUSE)
                {
                    return Err(Error::Io {
                        what: format!("join {g} on {}", spec.ifname),
                        source: e,
                    });
                }
            }
            return Ok(s.clone());
        }
        let s = std::sync::Arc::new(if self.batched {
            VrrpSocket::open_batched(spec)?
        } else {
            VrrpSocket::open(spec)?
        });
        self.open.insert(key, s.clone());
        Ok(s)
    }

    /// Close every socket no instance holds any more.
    pub fn prune(&mut self) {
        self.open.retain(|_, s| std::sync::Arc::strong_count(s) > 1);
    }
}

/// How many datagrams one `recvmmsg` reads at most.
pub const RECV_BATCH: usize = 16;
/// Room for one datagram: the largest advert (255 IPv6 addresses, or IPv4 with AH and options).
const SLOT: usize = 4160;
/// Room for one datagram's control messages, in u64 for cmsghdr alignment.
const CMSG_WORDS: usize = 16;

/// What the IP layer said about one datagram of a [`RecvBatch`].
#[derive(Debug, Clone, Copy)]
pub struct Datagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 TTL (from the header) or IPv6 hop limit (from IPV6_HOPLIMIT; 0 if absent).
    pub ttl: u8,
    pub ifindex: u32,
    len: usize,
    /// Where the VRRP (or AH) bytes start: after the IPv4 header; 0 for IPv6.
    pub payload_offset: usize,
}

/// Reusable buffers for [`VrrpSocket::recv_batch`]: datagrams are decoded in place, no copy and
/// no allocation per datagram. One batch can serve every socket in turn.
pub struct RecvBatch {
    data: Box<[u8]>,
    cmsg: Box<[u64]>,
    names: Box<[libc::sockaddr_in6]>,
    got: Vec<Datagram>,
}

impl Default for RecvBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl RecvBatch {
    #[allow(unsafe_code)]
    pub fn new() -> Self {
        // SAFETY: sockaddr_in6 is plain old data; all zeroes is a valid value.
        let zero: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
        RecvBatch {
            data: vec![0u8; SLOT * RECV_BATCH].into_boxed_slice(),
            cmsg: vec![0u64; CMSG_WORDS * RECV_BATCH].into_boxed_slice(),
            names: vec![zero; RECV_BATCH].into_boxed_slice(),
            got: Vec::with_capacity(RECV_BATCH),
        }
    }

    /// The datagrams of the last read.
    pub fn len(&self) -> usize {
        self.got.len()
    }

    pub fn is_empty(&self) -> bool {
        self.got.is_empty()
    }

    /// Datagram `k` of the last read: what the IP layer said, and the bytes (IPv4: the whole
    /// datagram with its header; IPv6: the payload).
    pub fn get(&self, k: usize) -> Option<(&Datagram, &[u8])> {
        let d = self.got.get(k)?;
        let bytes = self.data.get(k * SLOT..k * SLOT + d.len)?;
        Some((d, bytes))
    }
}

/// The source address of a received datagram, from its sockaddr.
#[allow(unsafe_code)]
fn sockaddr_ip(sa: &libc::sockaddr_in6) -> Option<IpAddr> {
    match i32::from(sa.sin6_family) {
        libc::AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(sa.sin6_addr.s6_addr))),
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in (family AF_INET) at the start of the
            // sockaddr_in6-sized storage; sockaddr_in is smaller and has no stricter alignment.
            let sin = unsafe { &*(sa as *const libc::sockaddr_in6).cast::<libc::sockaddr_in>() };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        _ => None,
    }
}

impl VrrpSocket {
    /// Opens a socket for [`RxSet`]: tokio watches it for writing only, so a datagram arriving
    /// does not wake the process; [`RxSet`] says when to read it with [`VrrpSocket::recv_batch`].
    /// [`VrrpSocket::recv`] must not be used on such a socket.
    pub fn open_batched(spec: SocketSpec) -> Result<VrrpSocket> {
        let mut s = Self::open(spec)?;
        // Datagrams wait in the socket between reads: room for a burst of adverts from a
        // master of many instances even when the process is kept off the CPU for a while
        // (SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the default stays).
        let size: libc::c_int = 1 << 20;
        let _ = setsockopt_int(
            s.fd.get_ref().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            size,
        );
        let what = format!(
            "VRRP socket on {}: registering with the runtime",
            s.spec.ifname
        );
        // Re-register with write interest only.
        let inner = s.fd.into_inner();
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(inner, tokio::io::Interest::WRITABLE).map_err(io(what))?;
        s.fd = fd;
        Ok(s)
    }

    /// Reads up to [`RECV_BATCH`] datagrams without waiting (`recvmmsg`, MSG_DONTWAIT) into
    /// `batch`, replacing what it held; `Ok(0)`: nothing queued. Datagrams without a source or
    /// destination, truncated or shorter than an IPv4 header are skipped.
    #[allow(unsafe_code)]
    pub fn recv_batch(&self, batch: &mut RecvBatch) -> std::io::Result<usize> {
        batch.got.clear();
        let fd = self.fd.get_ref().as_raw_fd();
        let RecvBatch {
            data,
            cmsg,
            names,
            got,
        } = batch;
        // SAFETY: iovec and mmsghdr are plain old data; zeroed is valid, and every pointer set
        // below points into `batch`'s buffers, which outlive the call.
        let mut iov: [libc::iovec; RECV_BATCH] = unsafe { std::mem::zeroed() };
        let mut msgs: [libc::mmsghdr; RECV_BATCH] = unsafe { std::mem::zeroed() };
        for k in 0..RECV_BATCH {
            iov[k].iov_base = data[k * SLOT..].as_mut_ptr().cast();
            iov[k].iov_len = SLOT;
            let h = &mut msgs[k].msg_hdr;
            h.msg_name = (&mut names[k] as *mut libc::sockaddr_in6).cast();
            h.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            h.msg_iov = &mut iov[k];
            h.msg_iovlen = 1;
            h.msg_control = cmsg[k * CMSG_WORDS..].as_mut_ptr().cast();
            h.msg_controllen = CMSG_WORDS * 8;
        }
        // SAFETY: `msgs` holds RECV_BATCH valid headers whose buffers are sized as declared.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs.as_mut_ptr(),
                RECV_BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::WouldBlock {
                Ok(0)
            } else {
                Err(e)
            };
        }
        let n = n as usize;
        for (k, m) in msgs.iter().enumerate().take(n) {
            let len = m.msg_len as usize;
            let h = &m.msg_hdr;
            if h.msg_flags & libc::MSG_TRUNC != 0 {
                continue;
            }
            let Some(src) = sockaddr_ip(&names[k]) else {
                continue;
            };
            let (mut dst, mut ttl, mut ifindex) = (None, 0u8, 0u32);
            // SAFETY: the kernel filled `h`'s control buffer; the CMSG_* helpers walk it within
            // msg_controllen, and every data read is unaligned-safe.
            unsafe {
                let mut c = libc::CMSG_FIRSTHDR(h);
                while !c.is_null() {
                    let d = libc::CMSG_DATA(c);
                    match ((*c).cmsg_level, (*c).cmsg_type) {
                        (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                            let i = std::ptr::read_unaligned(d.cast::<libc::in_pktinfo>());
                            ifindex = u32::try_from(i.ipi_ifindex).unwrap_or(0);
                            dst = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(i.ipi_addr.s_addr))));
                        }
                        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                            let i = std::ptr::read_unaligned(d.cast::<libc::in6_pktinfo>());
                            ifindex = i.ipi6_ifindex;
                            dst = Some(IpAddr::V6(Ipv6Addr::from(i.ipi6_addr.s6_addr)));
                        }
                        (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                            let v = std::ptr::read_unaligned(d.cast::<libc::c_int>());
                            ttl = u8::try_from(v).unwrap_or(0);
                        }
                        _ => {}
                    }
                    c = libc::CMSG_NXTHDR(h, c);
                }
            }
            let mut offset = 0;
            if !self.spec.ipv6 {
                let Some(b) = data.get(k * SLOT..k * SLOT + len) else {
                    continue;
                };
                if b.len() < 20 {
                    continue;
                }
                offset = (usize::from(b[0] & 0x0f) * 4).min(b.len());
                ttl = b[8];
                dst = Some(IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19])));
            }
            let Some(dst) = dst else { continue };
            // Keep the datagram at its slot: `get` finds slot k for the k-th kept entry, so
            // move it down when an earlier one was skipped.
            let slot = got.len();
            if slot != k {
                data.copy_within(k * SLOT..k * SLOT + len, slot * SLOT);
            }
            got.push(Datagram {
                src,
                dst,
                ttl,
                ifindex,
                len,
                payload_offset: offset,
            });
        }
        Ok(n)
    }

    /// Sends each `(bytes, dst)` (as [`VrrpSocket::send_to`]) with as few `sendmmsg` calls as
    /// the socket buffer allows; returns the index and error of every one that failed.
    #[allow(unsafe_code)]
    pub async fn send_many(&self, items: &[(&[u8], IpAddr)]) -> Vec<(usize, Error)> {
        const MAX: usize = 64;
        let mut failed = Vec::new();
        let mut next = 0;
        while next < items.len() {
            let chunk = &items[next..items.len().min(next + MAX)];
            // SAFETY: plain old data, zeroed is valid; the pointers set below point into these
            // arrays and into `items`, all alive across the call.
            let mut names: [libc::sockaddr_in6; MAX] = unsafe { std::mem::zeroed() };
            let mut lens = [0 as libc::socklen_t; MAX];
            let mut iov: [libc::iovec; MAX] = unsafe { std::mem::zeroed() };
            let mut msgs: [libc::mmsghdr; MAX] = unsafe { std::mem::zeroed() };
            for (k, (bytes, dst)) in chunk.iter().enumerate() {
                let scope = match dst {
                    IpAddr::V6(a) if a.is_multicast() || a.is_unicast_link_local() => {
                        self.spec.ifindex
                    }
                    _ => 0,
                };
                let sa: SockAddr = match dst {
                    IpAddr::V4(a) => SocketAddr::new(IpAddr::V4(*a), 0).into(),
                    IpAddr::V6(a) => SocketAddr::V6(SocketAddrV6::new(*a, 0, 0, scope)).into(),
                };
                let n = (sa.len() as usize).min(std::mem::size_of::<libc::sockaddr_in6>());
                // SAFETY: copies the sockaddr's `n` bytes into storage at least that large.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        sa.as_ptr().cast::<u8>(),
                        (&mut names[k] as *mut libc::sockaddr_in6).cast::<u8>(),
                        n,
                    );
                }
                lens[k] = n as libc::socklen_t;
                iov[k].iov_base = bytes.as_ptr() as *mut libc::c_void;
                iov[k].iov_len = bytes.len();
            }
            for k in 0..chunk.len() {
                let h = &mut msgs[k].msg_hdr;
                h.msg_name = (&mut names[k] as *mut libc::sockaddr_in6).cast();
                h.msg_namelen = lens[k];
                h.msg_iov = &mut iov[k];
                h.msg_iovlen = 1;
            }
            let r = loop {
                let mut guard = match self.fd.writable().await {
                    Ok(g) => g,
                    Err(e) => break Err(e),
                };
                // SAFETY: `msgs` holds chunk.len() valid headers (see above).
                match guard.try_io(|fd| {
                    let n = unsafe {
                        libc::sendmmsg(
                            fd.get_ref().as_raw_fd(),
                            msgs.as_mut_ptr(),
                            chunk.len() as libc::c_uint,
                            0,
                        )
                    };
                    if n < 0 {
                        Err(std::io::Error::last_os_error())
                    } else {
                        Ok(n as usize)
                    }
                }) {
                    Ok(r) => break r,
                    Err(_would_block) => continue,
                }
            };
            match r {
                Ok(0) => next += 1,
                Ok(n) => next += n,
                Err(e) => {
                    // The first of the chunk failed: report it, go on with the next.
                    let dst = items[next].1;
                    failed.push((
                        next,
                        Error::Io {
                            what: format!("send to {dst} on {}", self.spec.ifname),
                            source: e,
                        },
                    ));
                    next += 1;
                }
            }
        }
        failed
    }
}

#[allow(unsafe_code)]
fn setsockopt_int(fd: i32, level: i32, name: i32, v: libc::c_int) -> std::io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&v as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

struct EpollFd(std::os::fd::OwnedFd);

impl AsRawFd for EpollFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

/// The receiving side of a set of sockets opened with [`VrrpSocket::open_batched`]: an epoll
/// of their own in which each socket is one-shot. When a socket reports, it stays quiet until
/// [`RxSet::rearm`], so a loop can let datagrams gather for a moment and read them with one
/// `recvmmsg` instead of being woken for each (a backup of 1,000 instances at advert_int 0.1
/// receives 10,000 adverts a second).
pub struct RxSet {
    ep: AsyncFd<EpollFd>,
    sockets: Vec<std::sync::Arc<VrrpSocket>>,
    armed: Vec<bool>,
}

impl RxSet {
    /// Every socket starts armed.
    #[allow(unsafe_code)]
    pub fn new(sockets: Vec<std::sync::Arc<VrrpSocket>>) -> Result<RxSet> {
        // SAFETY: epoll_create1 takes no pointer; a valid fd is owned below.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if raw < 0 {
            return Err(Error::Io {
                what: "epoll_create1 for the VRRP sockets".into(),
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: `raw` is a fresh fd that nothing else owns.
        let owned = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        let ep = EpollFd(owned);
        for (k, s) in sockets.iter().enumerate() {
            ctl(&ep, libc::EPOLL_CTL_ADD, s.fd.get_ref().as_raw_fd(), k).map_err(io(format!(
                "adding the socket on {} to epoll",
                s.spec.ifname
            )))?;
        }
        #[allow(deprecated)]
        let ep = AsyncFd::with_interest(ep, tokio::io::Interest::READABLE)
            .map_err(io("registering the VRRP sockets' epoll with the runtime"))?;
        let armed = vec![true; sockets.len()];
        Ok(RxSet { ep, sockets, armed })
    }

    pub fn socket(&self, k: usize) -> Option<&std::sync::Arc<VrrpSocket>> {
        self.sockets.get(k)
    }

    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Ready when one or more armed sockets have datagrams: their indices go to `ready` and
    /// they are disarmed.
    #[allow(unsafe_code)]
    pub fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
        ready: &mut Vec<usize>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        loop {
            let mut guard = match self.ep.poll_read_ready(cx) {
                Poll::Ready(Ok(g)) => g,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            // SAFETY: plain old data, zeroed is valid.
            let mut events: [libc::epoll_event; 8] = unsafe { std::mem::zeroed() };
            // SAFETY: `events` has room for the 8 entries declared.
            let n = unsafe {
                libc::epoll_wait(guard.get_inner().as_raw_fd(), events.as_mut_ptr(), 8, 0)
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Poll::Ready(Err(e));
            }
            if n == 0 {
                guard.clear_ready();
                continue;
            }
            for e in events.iter().take(n as usize) {
                let k = e.u64 as usize;
                if let Some(a) = self.armed.get_mut(k) {
                    *a = false;
                    ready.push(k);
                }
            }
            return Poll::Ready(Ok(()));
        }
    }

    /// Lets socket `k` report again (at once if datagrams are waiting).
    pub fn rearm(&mut self, k: usize) -> Result<()> {
        let (Some(s), Some(a)) = (self.sockets.get(k), self.armed.get_mut(k)) else {
            return Ok(());
        };
        if !*a {
            ctl(
                self.ep.get_ref(),
                libc::EPOLL_CTL_MOD,
                s.fd.get_ref().as_raw_fd(),
                k,
            )
            .map_err(io(format!("re-arming the socket on {}", s.spec.ifname)))?;
            *a = true;
        }
        Ok(())
    }

    /// Whether socket `k` is armed.
    pub fn armed(&self, k: usize) -> bool {
        self.armed.get(k).copied().unwrap_or(false)
    }
}

#[allow(unsafe_code)]
fn ctl(ep: &EpollFd, op: libc::c_int, fd: std::os::fd::RawFd, k: usize) -> std::io::Result<()> {
    let mut ev = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLONESHOT) as u32,
        u64: k as u64,
    };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    if unsafe { libc::epoll_ctl(ep.as_raw_fd(), op, fd, &mut ev) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
