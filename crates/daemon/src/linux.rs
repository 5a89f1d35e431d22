//! Stand-in Linux shell until keepalived-sys lands: raw VRRP sockets (IPv4, protocol 112), GARP
//! over AF_PACKET, VIPs through ip(8). Routes, rules, IPv6, AH sockets and nftables are not here.

use std::collections::HashMap;
use std::io::Read as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use keepalived_vrrp::Action;
use keepalived_vrrp::packet::{IPPROTO_AH, IPPROTO_VRRP, MCAST_GROUP4, Packet};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;

use crate::conf_subset::{Addresses, VipLine};
use crate::engine::{Input, Shell};
use crate::error::{Error, Result};

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// The system's interfaces: index, MAC and addresses, read once at start.
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    pub by_name: HashMap<String, InterfaceInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct InterfaceInfo {
    pub index: u32,
    pub mac: Option<[u8; 6]>,
    pub v4: Vec<Ipv4Addr>,
    pub v6: Vec<std::net::Ipv6Addr>,
}

impl Interfaces {
    pub fn read() -> Self {
        let mut me = Self::default();
        let Ok(list) = nix::ifaddrs::getifaddrs() else {
            return me;
        };
        for a in list {
            let e = me.by_name.entry(a.interface_name.clone()).or_default();
            if e.index == 0 {
                e.index = nix::net::if_::if_nametoindex(a.interface_name.as_str()).unwrap_or(0);
            }
            let Some(addr) = a.address else { continue };
            if let Some(l) = addr.as_link_addr() {
                e.mac = l.addr();
            } else if let Some(v4) = addr.as_sockaddr_in() {
                e.v4.push(v4.ip());
            } else if let Some(v6) = addr.as_sockaddr_in6() {
                e.v6.push(v6.ip());
            }
        }
        me
    }
}

impl Addresses for Interfaces {
    fn primary(&self, interface: &str, v6: bool) -> Option<IpAddr> {
        let i = self.by_name.get(interface)?;
        if v6 {
            i.v6.iter()
                .find(|a| a.segments()[0] & 0xffc0 == 0xfe80)
                .map(|a| IpAddr::V6(*a))
        } else {
            i.v4.first().map(|a| IpAddr::V4(*a))
        }
    }
}

/// What the shell knows of one instance.
#[derive(Debug, Clone)]
pub struct InstanceIo {
    pub interface: String,
    pub vips: Vec<VipLine>,
}

struct Iface {
    vrrp: Arc<AsyncFd<Socket>>,
    arp: Option<Arc<Socket>>,
    mac: [u8; 6],
}

/// Raw sockets per interface and the instances' addresses.
pub struct LinuxShell {
    ifaces: HashMap<String, Iface>,
    instances: Vec<InstanceIo>,
    /// vrrp_garp_interval: the delay between two gratuitous ARPs on one interface.
    garp_interval: std::time::Duration,
    /// GARPs still being paced out, per instance (dropped when it leaves MASTER).
    paced: HashMap<usize, tokio::task::AbortHandle>,
    /// VIP valid lifetime (whole seconds, as the kernel counts them); None: permanent VIPs.
    vip_lifetime: Option<u32>,
    /// Refreshers keeping each master's VIP lifetimes from running out.
    refresh: HashMap<usize, tokio::task::AbortHandle>,
}

fn vrrp_socket(name: &str, index: u32, proto: u8) -> Result<Socket> {
    let what = format!("VRRP socket on {name}");
    let s = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(i32::from(proto))),
    )
    .map_err(io(what.clone()))?;
    s.bind_device(Some(name.as_bytes()))
        .map_err(io(what.clone()))?;
    s.set_header_included_v4(true).map_err(io(what.clone()))?;
    s.set_multicast_loop_v4(false).map_err(io(what.clone()))?;
    s.join_multicast_v4_n(&MCAST_GROUP4, &InterfaceIndexOrAddress::Index(index))
        .map_err(io(what.clone()))?;
    s.set_nonblocking(true).map_err(io(what))?;
    Ok(s)
}

fn arp_socket(name: &str) -> Result<Socket> {
    let what = format!("ARP socket on {name}");
    // Protocol 0: this socket only sends, it never receives frames.
    let s = Socket::new(Domain::PACKET, Type::RAW, None).map_err(io(what.clone()))?;
    let link = nix::ifaddrs::getifaddrs()
        .ok()
        .and_then(|l| {
            l.filter(|a| a.interface_name == name)
                .find_map(|a| a.address.and_then(|x| x.as_link_addr().copied()))
        })
        .ok_or_else(|| Error::Other(format!("{what}: no link address")))?;
    nix::sys::socket::bind(s.as_raw_fd(), &link)
        .map_err(|e| io(what.clone())(std::io::Error::from(e)))?;
    s.set_nonblocking(true).map_err(io(what))?;
    Ok(s)
}

/// keepalived's gratuitous ARP: a broadcast ARP request for the VIP from our MAC.
pub fn garp_frame(mac: [u8; 6], ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ip.octets());
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&ip.octets());
    f
}

// AsyncFd owns each socket for its whole life, so the I/O-safety concern behind the deprecation
// (a borrowed fd closed under it) cannot arise; `register` would need unsafe, denied here.
#[allow(deprecated)]
fn async_socket(s: Socket) -> Result<AsyncFd<Socket>> {
    AsyncFd::new(s).map_err(io("registering a socket with the runtime"))
}

impl LinuxShell {
    /// Opens one socket per interface (shared by its instances) and starts its reader, which
    /// forwards every packet to `tx`.
    pub fn open(
        instances: Vec<InstanceIo>,
        system: &Interfaces,
        tx: mpsc::Sender<Input>,
    ) -> Result<Self> {
        let mut ifaces = HashMap::new();
        for i in &instances {
            if ifaces.contains_key(&i.interface) {
                continue;
            }
            let info = system
                .by_name
                .get(&i.interface)
                .ok_or_else(|| Error::Other(format!("interface {} does not exist", i.interface)))?;
            let vrrp = Arc::new(async_socket(vrrp_socket(
                &i.interface,
                info.index,
                IPPROTO_VRRP,
            )?)?);
            let ah = async_socket(vrrp_socket(&i.interface, info.index, IPPROTO_AH)?)?;
            for sock in [Arc::clone(&vrrp), Arc::new(ah)] {
                let tx = tx.clone();
                let name = i.interface.clone();
                tokio::spawn(read_loop(sock, name, tx));
            }
            let arp = match arp_socket(&i.interface) {
                Ok(s) => Some(Arc::new(s)),
                Err(e) => {
                    tracing::warn!("{e}: no gratuitous ARP on {}", i.interface);
                    None
                }
            };
            ifaces.insert(
                i.interface.clone(),
                Iface {
                    vrrp,
                    arp,
                    mac: info.mac.unwrap_or_default(),
                },
            );
        }
        Ok(Self {
            ifaces,
            instances,
            garp_interval: std::time::Duration::ZERO,
            paced: HashMap::new(),
            vip_lifetime: None,
            refresh: HashMap::new(),
        })
    }

    /// VIPs get a valid lifetime of `secs` that a refresher renews every second while this
    /// process is master: a SIGKILLed or hung daemon's VIPs leave by themselves.
    pub fn with_vip_lifetime(mut self, secs: u32) -> Self {
        self.vip_lifetime = Some(secs.max(2));
        self
    }

    /// Removes VIPs a previous run (killed before it could clean up) left on the interfaces.
    pub async fn remove_leftovers(&self) {
        for i in &self.instances {
            for v in &i.vips {
                let _ = self.ip(&Self::vip_args("del", v, &i.interface, None)).await;
            }
        }
    }

    pub fn with_garp_interval(mut self, d: std::time::Duration) -> Self {
        self.garp_interval = d;
        self
    }

    async fn ip(&self, args: &[String]) -> Result<()> {
        run_ip(args).await
    }

    fn vip_args(verb: &str, v: &VipLine, dev: &str, lifetime: Option<u32>) -> Vec<String> {
        let mut a = vec![
            if v.addr.is_ipv4() { "-4" } else { "-6" }.to_string(),
            "addr".into(),
            verb.into(),
            format!("{}/{}", v.addr, v.prefix),
            "dev".into(),
            v.dev.clone().unwrap_or_else(|| dev.to_string()),
        ];
        if verb != "del"
            && let Some(l) = &v.label
        {
            a.extend(["label".to_string(), l.clone()]);
        }
        if verb != "del"
            && let Some(secs) = lifetime
        {
            a.extend([
                "valid_lft".to_string(),
                secs.to_string(),
                "preferred_lft".to_string(),
                secs.to_string(),
            ]);
        }
        a
    }
}

async fn run_ip(args: &[String]) -> Result<()> {
    let out = tokio::process::Command::new("ip")
        .args(args)
        .output()
        .await
        .map_err(io("running ip(8)"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    // Adding an address we already hold, or removing one already gone, is not a failure.
    if out.status.success() || err.contains("File exists") || err.contains("Cannot assign") {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "ip {}: {}",
            args.join(" "),
            err.trim()
        )))
    }
}

async fn read_loop(sock: Arc<AsyncFd<Socket>>, interface: String, tx: mpsc::Sender<Input>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok(mut guard) = sock.readable().await else {
            return;
        };
        match guard.try_io(|s| s.get_ref().read(&mut buf)) {
            Ok(Ok(n)) => {
                let input = Input::Packet {
                    interface: interface.clone(),
                    packet: Packet::Ipv4(buf[..n].to_vec()),
                };
                if tx.send(input).await.is_err() {
                    return;
                }
            }
            Ok(Err(e)) => {
                tracing::debug!("reading VRRP socket on {interface}: {e}");
            }
            Err(_would_block) => {}
        }
    }
}

impl Shell for LinuxShell {
    fn send(&mut self, instance: usize, dst: IpAddr, bytes: &[u8]) -> Result<()> {
        let Some(i) = self.instances.get(instance) else {
            return Ok(());
        };
        let Some(f) = self.ifaces.get(&i.interface) else {
            return Ok(());
        };
        let IpAddr::V4(d) = dst else {
            return Err(Error::Other("IPv6 adverts need keepalived-sys".into()));
        };
        let to = SocketAddr::V4(SocketAddrV4::new(d, 0));
        f.vrrp
            .get_ref()
            .send_to(bytes, &to.into())
            .map(|_| ())
            .map_err(io(format!("sending advert on {}", i.interface)))
    }

    async fn apply(&mut self, instance: usize, action: &Action) -> Result<()> {
        let Some(i) = self.instances.get(instance).cloned() else {
            return Ok(());
        };
        match action {
            Action::AddVips => {
                for v in &i.vips {
                    self.ip(&Self::vip_args(
                        "replace",
                        v,
                        &i.interface,
                        self.vip_lifetime,
                    ))
                    .await?;
                }
                if let Some(secs) = self.vip_lifetime {
                    let cmds: Vec<Vec<String>> = i
                        .vips
                        .iter()
                        .map(|v| Self::vip_args("replace", v, &i.interface, Some(secs)))
                        .collect();
                    let task = tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                            for c in &cmds {
                                if let Err(e) = run_ip(c).await {
                                    tracing::warn!("refreshing VIP lifetime: {e}");
                                }
                            }
                        }
                    });
                    if let Some(old) = self.refresh.insert(instance, task.abort_handle()) {
                        old.abort();
                    }
                }
            }
            Action::RemoveVips => {
                if let Some(t) = self.refresh.remove(&instance) {
                    t.abort();
                }
                for v in &i.vips {
                    self.ip(&Self::vip_args("del", v, &i.interface, None))
                        .await?;
                }
            }
            Action::Garp { repeat } => {
                if let Some(f) = self.ifaces.get(&i.interface)
                    && let Some(s) = &f.arp
                {
                    let frames: Vec<Vec<u8>> = i
                        .vips
                        .iter()
                        .filter_map(|v| match v.addr {
                            IpAddr::V4(a) => Some(garp_frame(f.mac, a)),
                            IpAddr::V6(_) => None,
                        })
                        .collect();
                    let gap = self.garp_interval;
                    if gap.is_zero() {
                        for _ in 0..*repeat {
                            for fr in &frames {
                                let _ = s.send(fr);
                            }
                        }
                    } else {
                        let (s, n) = (Arc::clone(s), *repeat);
                        let task = tokio::spawn(async move {
                            for k in 0..n {
                                for (j, fr) in frames.iter().enumerate() {
                                    if k + j as u32 > 0 {
                                        tokio::time::sleep(gap).await;
                                    }
                                    let _ = s.send(fr);
                                }
                            }
                        });
                        if let Some(old) = self.paced.insert(instance, task.abort_handle()) {
                            old.abort();
                        }
                    }
                }
            }
            Action::CancelGarps => {
                if let Some(t) = self.paced.remove(&instance) {
                    t.abort();
                }
            }
            other => {
                tracing::debug!("{other:?}: not handled by this build");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garp_is_a_broadcast_request_for_the_vip() {
        let f = garp_frame([2, 0, 0, 0, 0, 1], Ipv4Addr::new(10, 0, 0, 100));
        assert_eq!(f.len(), 42);
        assert_eq!(&f[0..6], &[0xff; 6]);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(&f[28..32], &[10, 0, 0, 100]);
        assert_eq!(&f[38..42], &[10, 0, 0, 100]);
    }
}
