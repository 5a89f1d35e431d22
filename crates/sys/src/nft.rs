//! Our nftables table for vrrp_strict / no accept: drop traffic to VIPs a non-accepting instance holds.
//! Driven through `nft -f -`; the table is ours alone, so removing it never touches anyone else's rules.

use std::net::IpAddr;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::{Error, Result, io};

/// Default table name (family inet).
pub const TABLE: &str = "keepalived_rs";

/// The `inet` table holding sets `vips4`/`vips6` and chains `in`/`out` dropping traffic to and from
/// them, as keepalived's `ip keepalived`/`ip6 keepalived` tables do under vrrp_strict.
#[derive(Debug, Clone)]
pub struct Firewall {
    table: String,
}

impl Default for Firewall {
    fn default() -> Self {
        Firewall {
            table: TABLE.to_string(),
        }
    }
}

async fn nft(input: &str, what: &str) -> Result<String> {
    let mut child = tokio::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io(format!("running nft to {what}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .await
            .map_err(io(format!("feeding nft to {what}")))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(io(format!("running nft to {what}")))?;
    if !out.status.success() {
        return Err(Error::Command {
            what: format!("nft: {what}"),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Firewall {
    /// A firewall using table `name` in family inet.
    pub fn named(name: &str) -> Firewall {
        Firewall {
            table: name.to_string(),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Create the table afresh (a crash may have left one behind: it is replaced) with `vips` in its sets.
    pub async fn install(&self, vips: &[IpAddr]) -> Result<()> {
        let t = &self.table;
        // keepalived 2.2.7's layout (observed with `nft list ruleset` under vrrp_strict), merged into
        // one inet table: input/output hooks at priority filter - 1, neighbour discovery always let
        // through so the master still answers for the VIP at layer 2; link-local addresses untouched
        // (keepalived jumps to empty per-interface chains for them).
        let script = format!(
            "table inet {t}\ndelete table inet {t}\n\
             table inet {t} {{\n\
             \tset vips4 {{ type ipv4_addr; }}\n\
             \tset vips6 {{ type ipv6_addr; }}\n\
             \tchain in {{\n\t\ttype filter hook input priority filter - 1; policy accept;\n\
             \t\tip daddr @vips4 drop\n\
             \t\ticmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept\n\
             \t\tip6 daddr fe80::/10 accept\n\
             \t\tip6 daddr @vips6 drop\n\t}}\n\
             \tchain out {{\n\t\ttype filter hook output priority filter - 1; policy accept;\n\
             \t\tip saddr @vips4 drop\n\
             \t\ticmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept\n\
             \t\tip6 saddr fe80::/10 accept\n\
             \t\tip6 saddr @vips6 drop\n\t}}\n}}\n{}",
            elements("add", t, vips)
        );
        nft(&script, &format!("install table inet {t}"))
            .await
            .map(|_| ())
    }

    /// Add VIPs to the sets (an instance became master without accept).
    pub async fn add(&self, vips: &[IpAddr]) -> Result<()> {
        if vips.is_empty() {
            return Ok(());
        }
        nft(&elements("add", &self.table, vips), "add VIPs")
            .await
            .map(|_| ())
    }

    /// Remove VIPs from the sets; absent ones are ignored.
    pub async fn remove(&self, vips: &[IpAddr]) -> Result<()> {
        for v in vips {
            let one = elements("delete", &self.table, &[*v]);
            if let Err(e) = nft(&one, "delete a VIP").await {
                tracing::debug!("{e}");
            }
        }
        Ok(())
    }

    /// `nft list table inet <ours>`, or None when there is no such table.
    pub async fn list(&self) -> Result<Option<String>> {
        match nft(&format!("list table inet {}\n", self.table), "list").await {
            Ok(s) => Ok(Some(s)),
            Err(Error::Command { detail, .. }) if detail.contains("No such file") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Delete the table if present (stop, and start-up after a crash).
    pub async fn uninstall(&self) -> Result<()> {
        let t = &self.table;
        nft(
            &format!("table inet {t}\ndelete table inet {t}\n"),
            "remove table",
        )
        .await
        .map(|_| ())
    }
}

fn elements(verb: &str, table: &str, vips: &[IpAddr]) -> String {
    let v4: Vec<String> = vips
        .iter()
        .filter(|v| v.is_ipv4())
        .map(|v| v.to_string())
        .collect();
    let v6: Vec<String> = vips
        .iter()
        .filter(|v| v.is_ipv6())
        .map(|v| v.to_string())
        .collect();
    let mut s = String::new();
    if !v4.is_empty() {
        s += &format!(
            "{verb} element inet {table} vips4 {{ {} }}\n",
            v4.join(", ")
        );
    }
    if !v6.is_empty() {
        s += &format!(
            "{verb} element inet {table} vips6 {{ {} }}\n",
            v6.join(", ")
        );
    }
    s
}
