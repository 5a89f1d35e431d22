//! use_vmac: the macvlan interface carrying the VRRP virtual MAC, and the sysctls keepalived sets
//! for it (observed on keepalived 2.2.7), put back when the VMAC goes.

use crate::netlink::{Link, Netlink};
use crate::sysctl::Saved;
use crate::{Error, Result};

/// The virtual MAC of a VRID: 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6).
pub fn virtual_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0, 0, 0x5e, 0, if ipv6 { 2 } else { 1 }, vrid]
}

/// keepalived's default VMAC name: `vrrp.<VRID>`.
pub fn default_name(vrid: u8) -> String {
    format!("vrrp.{vrid}")
}

/// A VMAC we created, with the sysctls changed for it.
pub struct Vmac {
    pub link: Link,
    base_name: String,
    saved: Saved,
}

impl Vmac {
    /// Create `name` on `base` with the VRID's MAC and apply keepalived's sysctls: on the base
    /// interface arp_ignore=1 and arp_filter=1 (only the VMAC answers ARP for the VIP); on the VMAC
    /// arp_ignore=1, accept_local=1, rp_filter=0, and for an IPv4 instance IPv6 disabled.
    pub async fn create(
        nl: &Netlink,
        base: &Link,
        name: &str,
        vrid: u8,
        ipv6: bool,
    ) -> Result<Vmac> {
        nl.add_macvlan(name, base.index, virtual_mac(vrid, ipv6))
            .await?;
        let link = nl
            .link(name)
            .await?
            .ok_or_else(|| Error::Invalid(format!("macvlan {name} vanished after creation")))?;
        let mut saved = Saved::default();
        let b = &base.name;
        let set = |saved: &mut Saved, k: String, v: &str| saved.set(&k, v);
        set(&mut saved, format!("net.ipv4.conf.{b}.arp_ignore"), "1")?;
        set(&mut saved, format!("net.ipv4.conf.{b}.arp_filter"), "1")?;
        // The VMAC's own values go with it when it is deleted: they are set, not saved.
        let v = name.replace('.', "/");
        crate::sysctl::write(&format!("net.ipv4.conf.{v}.arp_ignore"), "1")?;
        crate::sysctl::write(&format!("net.ipv4.conf.{v}.accept_local"), "1")?;
        crate::sysctl::write(&format!("net.ipv4.conf.{v}.rp_filter"), "0")?;
        if !ipv6 {
            crate::sysctl::write(&format!("net.ipv6.conf.{v}.disable_ipv6"), "1")?;
        }
        Ok(Vmac {
            link,
            base_name: base.name.clone(),
            saved,
        })
    }

    /// The base interface's name.
    pub fn base(&self) -> &str {
        &self.base_name
    }

    /// Delete the VMAC and put the base interface's sysctls back.
    pub async fn remove(mut self, nl: &Netlink) -> Result<()> {
        let r = nl.del_link(self.link.index).await;
        for e in self.saved.restore() {
            tracing::warn!("{e}");
        }
        r
    }
}
