//! Gratuitous ARP and unsolicited neighbour advertisement frames, and the AF_PACKET sender for them.
//! The frames are keepalived's byte for byte, so switches and peers see the same thing from either.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, OwnedFd};

use crate::{Result, io};

/// keepalived's gratuitous ARP: Ethernet broadcast, ARP request, sender = target = VIP,
/// sender MAC ours, target MAC broadcast.
pub fn garp_frame(mac: [u8; 6], ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x06]); // ARP
    f.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]); // Ethernet, IPv4, request
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ip.octets());
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&ip.octets());
    f
}

const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// Unsolicited NA for `ip` from `mac`: to ff02::1 (33:33:00:00:00:01), hop limit 255, override flag
/// (plus router flag when `router`, as keepalived does when forwarding is on), target link-layer option.
pub fn na_frame(mac: [u8; 6], ip: Ipv6Addr, router: bool) -> Vec<u8> {
    let mut icmp = Vec::with_capacity(32);
    icmp.extend_from_slice(&[136, 0, 0, 0]);
    icmp.extend_from_slice(&[if router { 0xa0 } else { 0x20 }, 0, 0, 0]);
    icmp.extend_from_slice(&ip.octets());
    icmp.extend_from_slice(&[2, 1]);
    icmp.extend_from_slice(&mac);
    let ck = icmpv6_checksum(ip, ALL_NODES, &icmp);
    icmp[2..4].copy_from_slice(&ck.to_be_bytes());

    let mut f = Vec::with_capacity(14 + 40 + icmp.len());
    f.extend_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    f.extend_from_slice(&[58, 255]);
    f.extend_from_slice(&ip.octets());
    f.extend_from_slice(&ALL_NODES.octets());
    f.extend_from_slice(&icmp);
    f
}

/// RFC 4443 checksum over the IPv6 pseudo-header and the ICMPv6 message.
pub fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            let hi = u32::from(c[0]) << 8;
            let lo = c.get(1).map(|x| u32::from(*x)).unwrap_or(0);
            sum += hi | lo;
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(msg.len() as u32).to_be_bytes());
    add(&[0, 0, 0, 58]);
    add(msg);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An AF_PACKET socket bound to one interface, sending whole Ethernet frames.
pub struct LinkSender {
    fd: OwnedFd,
    ifindex: u32,
}

impl LinkSender {
    /// Open and bind to `ifindex`. Needs CAP_NET_RAW.
    pub fn open(ifindex: u32) -> Result<LinkSender> {
        let what = format!("AF_PACKET socket on ifindex {ifindex}");
        // No protocol: we only send, so the kernel queues nothing to us.
        let fd = nix::sys::socket::socket(
            nix::sys::socket::AddressFamily::Packet,
            nix::sys::socket::SockType::Raw,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(crate::errno(what.clone()))?;
        bind_ll(&fd, ifindex).map_err(io(what))?;
        Ok(LinkSender { fd, ifindex })
    }

    /// Send one frame (non-blocking enough: the NIC queue takes a 42-86 byte frame at once).
    pub fn send(&self, frame: &[u8]) -> Result<()> {
        nix::sys::socket::send(
            self.fd.as_raw_fd(),
            frame,
            nix::sys::socket::MsgFlags::empty(),
        )
        .map(|_| ())
        .map_err(crate::errno(format!(
            "sending a frame on ifindex {}",
            self.ifindex
        )))
    }
}

// nix offers no safe constructor for a sockaddr_ll, so bind with libc on a zeroed struct.
#[allow(unsafe_code)]
fn bind_ll(fd: &OwnedFd, ifindex: u32) -> std::io::Result<()> {
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = 0;
    sll.sll_ifindex = i32::try_from(ifindex).unwrap_or(0);
    // SAFETY: sll is a valid, fully initialised sockaddr_ll and the length passed is its size.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Whether NAs for VIPs on `ifname` carry the router flag: keepalived sets it when the interface
/// forwards IPv6.
pub fn ipv6_router(ifname: &str) -> bool {
    crate::sysctl::read(&format!(
        "net.ipv6.conf.{}.forwarding",
        ifname.replace('.', "/")
    ))
    .map(|v| v == "1")
    .unwrap_or(false)
}
