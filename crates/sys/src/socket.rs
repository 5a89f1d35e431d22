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
}

impl Sockets {
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
        let s = std::sync::Arc::new(VrrpSocket::open(spec)?);
        self.open.insert(key, s.clone());
        Ok(s)
    }

    /// Close every socket no instance holds any more.
    pub fn prune(&mut self) {
        self.open.retain(|_, s| std::sync::Arc::strong_count(s) > 1);
    }
}
