//! `global_defs` and the global top-level keywords (net_namespace, instance, use_pid_dir, ...):
//! every keyword keepalived 2.2.7 reads there, its default, range and diagnostics.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use super::Config;
use super::vrrp::Command;
use crate::System;
use crate::diag::Diagnostic;
use crate::read::Reader;
use crate::source::Span;
use crate::tree::Node;

/// Default SMTP port.
pub const SMTP_PORT: u16 = 25;
/// Default `smtp_connect_timeout`.
pub const DEFAULT_SMTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default startup/shutdown script timeout (once a script is given).
pub const DEFAULT_SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `child_wait_time`.
pub const DEFAULT_CHILD_WAIT: Duration = Duration::from_secs(5);
/// The RFC 5798 IPv4 VRRP group.
pub const DEFAULT_MCAST_GROUP4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The RFC 5798 IPv6 VRRP group.
pub const DEFAULT_MCAST_GROUP6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// Where static addresses without `dev` go.
pub const DEFAULT_INTERFACE: &str = "eth0";
/// Default `vrrp_garp_master_delay`.
pub const DEFAULT_GARP_DELAY: Duration = Duration::from_secs(5);
/// Default `vrrp_garp_master_repeat`.
pub const DEFAULT_GARP_REPEAT: u32 = 5;
/// Default `vrrp_garp_master_refresh_repeat`.
pub const DEFAULT_GARP_REFRESH_REPEAT: u32 = 1;
/// Default `vrrp_down_timer_adverts` (RFC 5798 6.1).
pub const DEFAULT_DOWN_TIMER_ADVERTS: u32 = 3;
/// Default `*_rlimit_rttime` (microseconds).
pub const DEFAULT_RLIMIT_RTTIME: u32 = 10_000;
/// Default `min_auto_priority_delay`.
pub const DEFAULT_MIN_AUTO_PRIORITY_DELAY: Duration = Duration::from_secs(1);
/// Default `vrrp_rx_bufs_multiplier`.
pub const DEFAULT_RX_BUFS_MULTIPLIER: u32 = 3;
/// nftables table name when `nftables` has none.
pub const DEFAULT_NFTABLES_TABLE: &str = "keepalived";
/// nftables IPVS table name when `nftables_ipvs` has none.
pub const DEFAULT_NFTABLES_IPVS_TABLE: &str = "keepalived_ipvs";
/// Default nftables chain priority.
pub const DEFAULT_NFTABLES_PRIORITY: i32 = -1;
/// Default `nftables_ipvs_start_fwmark`.
pub const DEFAULT_IPVS_START_FWMARK: u32 = 1000;
/// The umask keepalived uses unless told otherwise (IWGRP|IWOTH).
pub const DEFAULT_UMASK: u32 = 0o022;
/// Process names are cut to this many characters (the kernel's TASK_COMM_LEN - 1).
pub const PROCESS_NAME_MAX: usize = 15;
/// Interface names for the IPVS sync daemon are shorter than this.
pub const IPVS_IFNAME_MAXLEN: usize = 16;
/// nftables table names are shorter than this (the kernel's NFT_NAME_MAXLEN since Linux 4.14).
pub const NFT_TABLE_MAXNAMELEN: usize = 256;
/// lvs_timeouts values are at most 31 days.
pub const LVS_MAX_TIMEOUT: u32 = 86_400 * 31;
/// SCHED_RR's priority range on Linux.
pub const RT_PRIORITY_MIN: i32 = 1;
pub const RT_PRIORITY_MAX: i32 = 99;
/// The user scripts run as when neither the script nor `script_user` names one.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// `global_defs` and the global top-level keywords. Every field carries keepalived 2.2.7's
/// default (see [`GlobalDefs::default`]); `None` means "not configured" where keepalived
/// computes the value later (host name, the instance's settings, ...).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GlobalDefs {
    // ---- top level (outside global_defs) ----
    /// `net_namespace NAME`: run in this network namespace (cannot change on reload).
    pub net_namespace: Option<String>,
    /// `net_namespace_ipvs [NAME]`: IPVS in this namespace; `Some("")` is the default namespace.
    pub net_namespace_ipvs: Option<String>,
    /// `namespace_with_ipsets`.
    pub namespace_with_ipsets: bool,
    /// `instance NAME`: pid files etc. carry this name (cannot change on reload).
    pub instance: Option<String>,
    /// `use_pid_dir` (also implied by `net_namespace`/`instance`).
    pub use_pid_dir: bool,
    /// `linkbeat_use_polling`.
    pub linkbeat_use_polling: bool,
    /// `child_wait_time SECS` (default 5 s).
    pub child_wait_time: Duration,

    // ---- files, processes, start/stop ----
    /// `tmp_config_directory DIR`.
    pub tmp_config_directory: Option<String>,
    /// `config_save_dir DIR` (trailing `/` removed).
    pub config_save_dir: Option<String>,
    /// `process_name NAME` (and `process_names`: the parent keeps `keepalived`).
    pub process_name: Option<String>,
    /// `vrrp_process_name NAME`; `process_names` gives `keepalived_vrrp`.
    pub vrrp_process_name: Option<String>,
    /// `checker_process_name NAME` (deprecated `lvs_process_name`); `process_names` gives
    /// `keepalived_lvs`.
    pub checker_process_name: Option<String>,
    /// `bfd_process_name NAME`; `process_names` gives `keepalived_bfd`.
    pub bfd_process_name: Option<String>,
    /// `startup_script CMD [USER [GROUP]]`: run once before the children start.
    pub startup_script: Option<Command>,
    /// `startup_script_timeout SECS` (1..=1000; 10 s once a script is given).
    pub startup_script_timeout: Option<Duration>,
    /// `shutdown_script CMD [USER [GROUP]]`: run once after the children stopped.
    pub shutdown_script: Option<Command>,
    /// `shutdown_script_timeout SECS` (1..=1000; 10 s once a script is given).
    pub shutdown_script_timeout: Option<Duration>,

    // ---- mail ----
    /// `notification_email { ADDR ... }`.
    pub notification_email: Vec<String>,
    /// `notification_email_from ADDR` (default `USER@HOSTNAME` when an SMTP server is set).
    pub notification_email_from: Option<String>,
    /// `smtp_server ADDR|NAME [PORT]`.
    pub smtp_server: Option<SmtpServer>,
    /// `smtp_helo_name NAME` (default: the host name).
    pub smtp_helo_name: Option<String>,
    /// `smtp_connect_timeout SECS` (0..=4294, 0 read as 1; default 30 s).
    pub smtp_connect_timeout: Duration,
    /// `smtp_alert [BOOL]`: default for every alert; `None` = not set (on when a server is set).
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp [BOOL]`; `None` follows `smtp_alert`.
    pub smtp_alert_vrrp: Option<bool>,
    /// `smtp_alert_checker [BOOL]`; `None` follows `smtp_alert`.
    pub smtp_alert_checker: Option<bool>,
    /// `checker_log_all_failures [BOOL]`.
    pub checker_log_all_failures: bool,
    /// `no_email_faults`.
    pub no_email_faults: bool,
    /// `router_id NAME` (default: the host name).
    pub router_id: Option<String>,

    // ---- VRRP defaults ----
    /// `vrrp_mcast_group4 ADDR` (default 224.0.0.18; must be IPv4 multicast).
    pub vrrp_mcast_group4: Ipv4Addr,
    /// `vrrp_mcast_group6 ADDR` (default ff02::12; must be IPv6 multicast).
    pub vrrp_mcast_group6: Ipv6Addr,
    /// `default_interface IF` (default eth0): where static addresses without `dev` go.
    pub default_interface: Option<String>,
    /// `vrrp_garp_master_delay SECS` (whole seconds, default 5; 0 = no second burst).
    pub vrrp_garp_master_delay: Duration,
    /// `vrrp_garp_master_repeat N` (default 5; 0 read as 1).
    pub vrrp_garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh SECS` (whole seconds; default 0 = no refresh).
    pub vrrp_garp_master_refresh: Duration,
    /// `vrrp_garp_master_refresh_repeat N` (default 1; 0 read as 1).
    pub vrrp_garp_master_refresh_repeat: u32,
    /// `vrrp_garp_lower_prio_delay SECS`; `None` = vrrp_garp_master_delay.
    pub vrrp_garp_lower_prio_delay: Option<Duration>,
    /// `vrrp_garp_lower_prio_repeat N` (0..=2^31-1); `None` = vrrp_garp_master_repeat.
    pub vrrp_garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_down_timer_adverts N` (1..=100, default 3).
    pub vrrp_down_timer_adverts: u32,
    /// `vrrp_garp_interval SECS` (microsecond resolution; default 0).
    pub vrrp_garp_interval: Duration,
    /// `vrrp_gna_interval SECS` (microsecond resolution; default 0).
    pub vrrp_gna_interval: Duration,
    /// `vrrp_min_garp [BOOL]` (already applied to the garp fields above, as keepalived does).
    pub vrrp_min_garp: bool,
    /// `vrrp_garp_extra_if [all] SECS` (deprecated `vrrp_vmac_garp_intvl`).
    pub vrrp_garp_extra_if: Option<GarpExtraIf>,
    /// `vrrp_lower_prio_no_advert [BOOL]`.
    pub vrrp_lower_prio_no_advert: bool,
    /// `vrrp_higher_prio_send_advert [BOOL]`.
    pub vrrp_higher_prio_send_advert: bool,
    /// `vrrp_version 2|3` (default 2; IPv6 instances use 3 regardless).
    pub vrrp_version: u8,
    /// `vrrp_check_unicast_src`.
    pub vrrp_check_unicast_src: bool,
    /// `vrrp_skip_check_adv_addr`.
    pub vrrp_skip_check_adv_addr: bool,
    /// `vrrp_strict`: RFC compliance checks on every instance.
    pub vrrp_strict: bool,
    /// `vrrp_notify_priority_changes [BOOL]`.
    pub vrrp_notify_priority_changes: bool,
    /// `dynamic_interfaces [allow_if_changes]`: interfaces may be missing at start.
    pub dynamic_interfaces: bool,
    /// The `allow_if_changes` option of `dynamic_interfaces`.
    pub allow_if_changes: bool,
    /// `disable_local_igmp`.
    pub disable_local_igmp: bool,
    /// `vrrp_startup_delay SECS` (0.001 s or more).
    pub vrrp_startup_delay: Option<Duration>,
    /// `log_unknown_vrids`.
    pub log_unknown_vrids: bool,
    /// `vmac_prefix STR` (default `vrrp`).
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix STR` (default: vmac_prefix).
    pub vmac_addr_prefix: Option<String>,
    /// `vrrp_rx_bufs_policy MTU|ADVERT|BYTES`.
    pub vrrp_rx_bufs_policy: Option<RxBufsPolicy>,
    /// `vrrp_rx_bufs_multiplier N` (default 3).
    pub vrrp_rx_bufs_multiplier: u32,
    /// keepalived-rs only: `vrrp_vip_lifetime SECS`. VIPs get this valid lifetime and the live
    /// master refreshes it, so a killed keepalived-rs leaves no stale VIP behind. `None` =
    /// automatic (max(4 x advert_int, 3 s)); `Some(0)` = off (permanent VIPs, as keepalived).
    pub vrrp_vip_lifetime: Option<u32>,

    // ---- firewall ----
    /// `nftables [TABLE]`: table name (default `keepalived`); `vrrp_iptables` also sets it.
    pub nftables: Option<String>,
    /// `nftables_priority N` (default -1).
    pub nftables_priority: i32,
    /// `nftables_counters`.
    pub nftables_counters: bool,
    /// `nftables_ifindex`.
    pub nftables_ifindex: bool,
    /// `nftables_ipvs [TABLE]` (default table `keepalived_ipvs`).
    pub nftables_ipvs: Option<String>,
    /// `nftables_ipvs_priority N` (default -1).
    pub nftables_ipvs_priority: i32,
    /// `nftables_ipvs_start_fwmark N` (1.., default 1000).
    pub nftables_ipvs_start_fwmark: u32,
    /// `vrrp_iptables [IN [OUT]]`: read, but keepalived 2.2.7 as Debian builds it has no
    /// iptables support and uses nftables instead (as do we).
    pub vrrp_iptables: Option<IptablesChains>,
    /// `vrrp_ipsets [NAMES...]`: unknown to keepalived 2.2.7 as Debian builds it; kept for the dump.
    pub vrrp_ipsets: Vec<String>,

    // ---- LVS ----
    /// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`.
    pub lvs_timeouts: LvsTimeouts,
    /// `lvs_sync_daemon IF [[inst] INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`.
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
    /// `lvs_flush`.
    pub lvs_flush: bool,
    /// `lvs_flush_on_stop [VS]` (deprecated `lvs_flush_onstop`).
    pub lvs_flush_on_stop: Option<LvsFlushOnStop>,
    /// `rs_init_notifies [BOOL]`.
    pub rs_init_notifies: bool,
    /// `no_checker_emails [BOOL]`.
    pub no_checker_emails: bool,

    // ---- scheduling ----
    /// `max_auto_priority [N]` (-1..=99; bare = 99; default 0 = off).
    pub max_auto_priority: i32,
    /// `min_auto_priority_delay USECS` (1..=10,000,000 us; default 1 s).
    pub min_auto_priority_delay: Duration,
    /// `vrrp_priority`, `vrrp_no_swap`, `vrrp_rt_priority`, `vrrp_cpu_affinity`, `vrrp_rlimit_rttime`.
    pub vrrp_sched: Scheduling,
    /// The same for the checker process (`checker_*`).
    pub checker_sched: Scheduling,
    /// The same for the BFD process (`bfd_*`).
    pub bfd_sched: Scheduling,

    // ---- SNMP / DBus ----
    /// `snmp_socket SPEC` (default unix:/var/agentx/master).
    pub snmp_socket: Option<String>,
    /// `enable_snmp_vrrp` (deprecated `enable_snmp_keepalived`).
    pub enable_snmp_vrrp: bool,
    /// `enable_snmp_checker`.
    pub enable_snmp_checker: bool,
    /// `enable_snmp_rfcv2` (or `enable_snmp_rfc`).
    pub enable_snmp_rfcv2: bool,
    /// `enable_snmp_rfcv3` (or `enable_snmp_rfc`).
    pub enable_snmp_rfcv3: bool,
    /// `enable_traps`.
    pub enable_traps: bool,
    /// `enable_dbus`.
    pub enable_dbus: bool,
    /// `dbus_service_name NAME` (default org.keepalived.Vrrp1).
    pub dbus_service_name: Option<String>,

    // ---- scripts and FIFOs ----
    /// `script_user USER [GROUP]`: who scripts run as by default.
    pub script_user: Option<ScriptUser>,
    /// `enable_script_security`: refuse scripts non-root users could change.
    pub enable_script_security: bool,
    /// `notify_fifo` / `notify_fifo_script`: every event.
    pub notify_fifo: NotifyFifo,
    /// `vrrp_notify_fifo` / `vrrp_notify_fifo_script`: VRRP events.
    pub vrrp_notify_fifo: NotifyFifo,
    /// `lvs_notify_fifo` / `lvs_notify_fifo_script`: checker events.
    pub lvs_notify_fifo: NotifyFifo,
    /// `fifo_write_vrrp_states_on_reload`.
    pub fifo_write_vrrp_states_on_reload: bool,

    // ---- netlink buffers ----
    /// `vrrp_netlink_cmd_rcv_bufs BYTES` (0 = system default).
    pub vrrp_netlink_cmd_rcv_bufs: Option<u32>,
    /// `vrrp_netlink_cmd_rcv_bufs_force [BOOL]`.
    pub vrrp_netlink_cmd_rcv_bufs_force: bool,
    /// `vrrp_netlink_monitor_rcv_bufs BYTES`.
    pub vrrp_netlink_monitor_rcv_bufs: Option<u32>,
    /// `vrrp_netlink_monitor_rcv_bufs_force [BOOL]`.
    pub vrrp_netlink_monitor_rcv_bufs_force: bool,
    /// `lvs_netlink_cmd_rcv_bufs BYTES`.
    pub lvs_netlink_cmd_rcv_bufs: Option<u32>,
    /// `lvs_netlink_cmd_rcv_bufs_force [BOOL]`.
    pub lvs_netlink_cmd_rcv_bufs_force: bool,
    /// `lvs_netlink_monitor_rcv_bufs BYTES`.
    pub lvs_netlink_monitor_rcv_bufs: Option<u32>,
    /// `lvs_netlink_monitor_rcv_bufs_force [BOOL]`.
    pub lvs_netlink_monitor_rcv_bufs_force: bool,
    /// `process_monitor_rcv_bufs BYTES`.
    pub process_monitor_rcv_bufs: Option<u32>,
    /// `process_monitor_rcv_bufs_force [BOOL]`.
    pub process_monitor_rcv_bufs_force: bool,

    // ---- misc ----
    /// `umask NUMBER|BITS` (default 022).
    pub umask: u32,
    /// `random_seed N`: makes `${_RANDOM}` repeatable.
    pub random_seed: Option<u32>,
    /// `reload_check_config [LOG_FILE]` (bare: /dev/null).
    pub reload_check_config: Option<String>,
    /// `include_check [OPTIONS]`: which include problems are errors.
    pub include_check: Option<IncludeCheck>,
    /// `reload_time_file PATH`.
    pub reload_time_file: Option<String>,
    /// `reload_repeat`.
    pub reload_repeat: bool,
    /// `reload_file [PATH]`.
    pub reload_file: Option<ReloadFile>,
    /// `data_use_instance [BOOL]`.
    pub data_use_instance: bool,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            net_namespace: None,
            net_namespace_ipvs: None,
            namespace_with_ipsets: false,
            instance: None,
            use_pid_dir: false,
            linkbeat_use_polling: false,
            child_wait_time: DEFAULT_CHILD_WAIT,
            tmp_config_directory: None,
            config_save_dir: None,
            process_name: None,
            vrrp_process_name: None,
            checker_process_name: None,
            bfd_process_name: None,
            startup_script: None,
            startup_script_timeout: None,
            shutdown_script: None,
            shutdown_script_timeout: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout: DEFAULT_SMTP_CONNECT_TIMEOUT,
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            checker_log_all_failures: false,
            no_email_faults: false,
            router_id: None,
            vrrp_mcast_group4: DEFAULT_MCAST_GROUP4,
            vrrp_mcast_group6: DEFAULT_MCAST_GROUP6,
            default_interface: None,
            vrrp_garp_master_delay: DEFAULT_GARP_DELAY,
            vrrp_garp_master_repeat: DEFAULT_GARP_REPEAT,
            vrrp_garp_master_refresh: Duration::ZERO,
            vrrp_garp_master_refresh_repeat: DEFAULT_GARP_REFRESH_REPEAT,
            vrrp_garp_lower_prio_delay: None,
            vrrp_garp_lower_prio_repeat: None,
            vrrp_down_timer_adverts: DEFAULT_DOWN_TIMER_ADVERTS,
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_min_garp: false,
            vrrp_garp_extra_if: None,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_version: 2,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_strict: false,
            vrrp_notify_priority_changes: false,
            dynamic_interfaces: false,
            allow_if_changes: false,
            disable_local_igmp: false,
            vrrp_startup_delay: None,
            log_unknown_vrids: false,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            vrrp_rx_bufs_policy: None,
            vrrp_rx_bufs_multiplier: DEFAULT_RX_BUFS_MULTIPLIER,
            vrrp_vip_lifetime: None,
            nftables: None,
            nftables_priority: DEFAULT_NFTABLES_PRIORITY,
            nftables_counters: false,
            nftables_ifindex: false,
            nftables_ipvs: None,
            nftables_ipvs_priority: DEFAULT_NFTABLES_PRIORITY,
            nftables_ipvs_start_fwmark: DEFAULT_IPVS_START_FWMARK,
            vrrp_iptables: None,
            vrrp_ipsets: Vec::new(),
            lvs_timeouts: LvsTimeouts::default(),
            lvs_sync_daemon: None,
            lvs_flush: false,
            lvs_flush_on_stop: None,
            rs_init_notifies: false,
            no_checker_emails: false,
            max_auto_priority: 0,
            min_auto_priority_delay: DEFAULT_MIN_AUTO_PRIORITY_DELAY,
            vrrp_sched: Scheduling::default(),
            checker_sched: Scheduling::default(),
            bfd_sched: Scheduling::default(),
            snmp_socket: None,
            enable_snmp_vrrp: false,
            enable_snmp_checker: false,
            enable_snmp_rfcv2: false,
            enable_snmp_rfcv3: false,
            enable_traps: false,
            enable_dbus: false,
            dbus_service_name: None,
            script_user: None,
            enable_script_security: false,
            notify_fifo: NotifyFifo::default(),
            vrrp_notify_fifo: NotifyFifo::default(),
            lvs_notify_fifo: NotifyFifo::default(),
            fifo_write_vrrp_states_on_reload: false,
            vrrp_netlink_cmd_rcv_bufs: None,
            vrrp_netlink_cmd_rcv_bufs_force: false,
            vrrp_netlink_monitor_rcv_bufs: None,
            vrrp_netlink_monitor_rcv_bufs_force: false,
            lvs_netlink_cmd_rcv_bufs: None,
            lvs_netlink_cmd_rcv_bufs_force: false,
            lvs_netlink_monitor_rcv_bufs: None,
            lvs_netlink_monitor_rcv_bufs_force: false,
            process_monitor_rcv_bufs: None,
            process_monitor_rcv_bufs_force: false,
            umask: DEFAULT_UMASK,
            random_seed: None,
            reload_check_config: None,
            include_check: None,
            reload_time_file: None,
            reload_repeat: false,
            reload_file: None,
            data_use_instance: false,
        }
    }
}

impl GlobalDefs {
    /// Where static addresses and routes without `dev` go.
    pub fn default_interface(&self) -> &str {
        self.default_interface
            .as_deref()
            .unwrap_or(DEFAULT_INTERFACE)
    }

    /// The user scripts without their own user run as: `script_user`, else `keepalived_script`
    /// (keepalived falls back to its own user when that does not exist and security is off).
    pub fn default_script_user(&self) -> &str {
        self.script_user
            .as_ref()
            .map(|u| u.user.as_str())
            .unwrap_or(DEFAULT_SCRIPT_USER)
    }

    /// Whether `script_user` names a user or group this host does not know (getpwnam/getgrnam):
    /// keepalived then removes every script that has no user of its own (VRRP, checker and
    /// global ones alike), with or without script security.
    pub fn script_user_missing(&self) -> bool {
        self.script_user
            .as_ref()
            .is_some_and(|u| unknown_account(&u.user, u.group.as_deref()).is_some())
    }

    /// Delay of the second gratuitous ARP burst after a lower-priority advert.
    pub fn garp_lower_prio_delay(&self) -> Duration {
        self.vrrp_garp_lower_prio_delay
            .unwrap_or(self.vrrp_garp_master_delay)
    }

    /// Gratuitous ARPs sent after a lower-priority advert.
    pub fn garp_lower_prio_repeat(&self) -> u32 {
        self.vrrp_garp_lower_prio_repeat
            .unwrap_or(self.vrrp_garp_master_repeat)
    }

    /// Whether VRRP instances and sync groups without their own `smtp_alert` mail alerts:
    /// `smtp_alert_vrrp`, else `smtp_alert`, else off (keepalived 2.2.7's default).
    pub fn vrrp_alerts(&self) -> bool {
        self.smtp_alert_vrrp.or(self.smtp_alert).unwrap_or(false)
    }

    /// Whether virtual servers without their own `smtp_alert` mail alerts:
    /// `smtp_alert_checker`, else `smtp_alert`, else off.
    pub fn checker_alerts(&self) -> bool {
        self.smtp_alert_checker.or(self.smtp_alert).unwrap_or(false)
    }

    /// Whether real servers without their own `smtp_alert` mail alerts: as
    /// [`GlobalDefs::checker_alerts`] but on when nothing is set (keepalived keeps this
    /// inconsistent default for backward compatibility).
    pub fn real_server_alerts(&self) -> bool {
        self.smtp_alert_checker.or(self.smtp_alert).unwrap_or(true)
    }

    /// The notify FIFO scripts the VRRP process runs (keepalived checks them with the VRRP
    /// scripts): `notify_fifo_script` and `vrrp_notify_fifo_script`.
    pub fn vrrp_fifo_scripts(&self) -> impl Iterator<Item = &Command> {
        self.notify_fifo
            .script
            .iter()
            .chain(self.vrrp_notify_fifo.script.iter())
    }

    /// The notify FIFO scripts the checker process runs: `notify_fifo_script` and
    /// `lvs_notify_fifo_script`.
    pub fn checker_fifo_scripts(&self) -> impl Iterator<Item = &Command> {
        self.notify_fifo
            .script
            .iter()
            .chain(self.lvs_notify_fifo.script.iter())
    }
}

/// `smtp_server`'s address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SmtpServer {
    pub host: SmtpHost,
    /// Default 25.
    pub port: u16,
    pub span: Span,
}

/// An SMTP server is an address or a name (keepalived resolves names once, when reading).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpHost {
    Ip(IpAddr),
    Name(String),
}

/// `vrrp_garp_extra_if`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GarpExtraIf {
    /// 1..=86400 s.
    pub interval: Duration,
    /// `all`: every interface of the instance, not only VMACs.
    pub all: bool,
}

/// `vrrp_rx_bufs_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RxBufsPolicy {
    /// Interface MTU x multiplier.
    Mtu,
    /// Advert size x multiplier.
    Advert,
    /// A fixed size in bytes.
    Size(u32),
}

/// `vrrp_iptables`'s chains.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IptablesChains {
    /// Default INPUT.
    pub input: String,
    /// Default OUTPUT when no chain is named, else none.
    pub output: Option<String>,
}

/// `lvs_timeouts`: IPVS connection timeouts; `None` leaves the kernel's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LvsTimeouts {
    pub tcp: Option<Duration>,
    pub tcpfin: Option<Duration>,
    pub udp: Option<Duration>,
}

/// `lvs_sync_daemon`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LvsSyncDaemon {
    pub interface: String,
    /// The vrrp_instance whose state drives the daemon (master/backup); `None`: both run.
    pub instance: Option<String>,
    /// 0..=255; `None` = the instance's VRID (0 without instance).
    pub sync_id: Option<u8>,
    /// 1..=65507.
    pub maxlen: Option<u16>,
    /// Default 8848.
    pub port: Option<u16>,
    pub ttl: Option<u8>,
    /// Multicast group (default 224.0.0.81).
    pub group: Option<IpAddr>,
    pub span: Span,
}

/// `lvs_flush_on_stop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LvsFlushOnStop {
    /// Bare keyword: flush the whole IPVS table.
    Full,
    /// `VS`: remove keepalived's virtual servers only.
    Vs,
}

/// Per-process scheduling (`vrrp_*`, `checker_*`, `bfd_*`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scheduling {
    /// `*_priority` nice value, -20..=19 (default 0).
    pub priority: i8,
    /// `*_no_swap`.
    pub no_swap: bool,
    /// `*_rt_priority` SCHED_RR priority 1..=99.
    pub rt_priority: Option<u8>,
    /// `*_cpu_affinity CPU...`.
    pub cpu_affinity: Vec<u32>,
    /// `*_rlimit_rttime USECS` (>= 2; default 10000).
    pub rlimit_rttime: u32,
}

impl Default for Scheduling {
    fn default() -> Self {
        Scheduling {
            priority: 0,
            no_swap: false,
            rt_priority: None,
            cpu_affinity: Vec::new(),
            rlimit_rttime: DEFAULT_RLIMIT_RTTIME,
        }
    }
}

/// `script_user USER [GROUP]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScriptUser {
    pub user: String,
    /// `None`: the user's primary group.
    pub group: Option<String>,
    pub span: Span,
}

/// A notify FIFO and the script keepalived starts to read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NotifyFifo {
    /// The FIFO's path.
    pub path: Option<String>,
    /// Owner of the FIFO (`FIFO USER [GROUP]`); default: the script user.
    pub user: Option<String>,
    pub group: Option<String>,
    /// The reader script; keepalived passes it the FIFO path as last argument.
    pub script: Option<Command>,
    pub span: Option<Span>,
}

/// `include_check`: which include problems are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IncludeCheck {
    /// `read`: a match that is not a readable file.
    pub read: bool,
    /// `match`: no file matches (unless a wildcard is used).
    pub r#match: bool,
    /// `wildcard_match`: no file matches even with a wildcard.
    pub wildcard_match: bool,
    /// `brace_match`: a brace alternative matches no file.
    pub brace_match: bool,
}

/// `reload_file`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReloadFile {
    /// Bare keyword: keepalived.reload in the pid directory.
    Default,
    Path(String),
}

/// Every keyword of `global_defs` keepalived 2.2.7 reads (deprecated aliases included), and our
/// `vrrp_vip_lifetime`.
pub const GLOBAL_DEFS_KEYWORDS: &[&str] = &[
    "process_names",
    "process_name",
    "vrrp_process_name",
    "checker_process_name",
    "lvs_process_name",
    "bfd_process_name",
    "router_id",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "notification_email",
    "smtp_alert",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "max_auto_priority",
    "min_auto_priority_delay",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "checker_log_all_failures",
    "dynamic_interfaces",
    "no_email_faults",
    "default_interface",
    "disable_local_igmp",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_down_timer_adverts",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_version",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_counters",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "fifo_write_vrrp_states_on_reload",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "snmp_socket",
    "enable_traps",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_checker",
    "enable_dbus",
    "dbus_service_name",
    "script_user",
    "enable_script_security",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "rs_init_notifies",
    "no_checker_emails",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "vrrp_startup_delay",
    "log_unknown_vrids",
    "vmac_prefix",
    "vmac_addr_prefix",
    "umask",
    "random_seed",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "config_save_dir",
    "tmp_config_directory",
    "data_use_instance",
    "vrrp_vip_lifetime",
];

/// The global keywords keepalived reads at the top level only (inside global_defs it reports
/// them as unknown).
pub const TOP_KEYWORDS: &[&str] = &[
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "linkbeat_use_polling",
    "child_wait_time",
];

/// Every block this module reads, with every keyword it accepts there (aliases included): the
/// source of "did you mean" suggestions and of the completeness test against keepalived.conf(5).
pub const KEYWORDS: &[(&str, &[&str])] = &[("global_defs", GLOBAL_DEFS_KEYWORDS)];

/// Reads `node` if it is a top-level keyword this module owns; returns whether it was.
pub fn read_top(node: &Node, r: &mut Reader<'_>, cfg: &mut Config) -> bool {
    let g = &mut cfg.global;
    let kw = node.keyword();
    if kw == "global_defs" {
        if let Some(children) = r.block(node) {
            for c in children {
                read_global(c, r, g);
            }
        }
        return true;
    }
    if !TOP_KEYWORDS.contains(&kw) {
        return false;
    }
    r.no_block(node);
    match kw {
        "net_namespace" => {
            let Some(name) = need(r, node, "a namespace name", "net_namespace name missing") else {
                return true;
            };
            if g.net_namespace.is_some() {
                duplicate(r, node, "net_namespace");
            } else {
                g.net_namespace = Some(name);
                g.use_pid_dir = true;
            }
            extra(r, node, 1);
        }
        "net_namespace_ipvs" => {
            if g.net_namespace_ipvs.is_some() {
                duplicate(r, node, "net_namespace_ipvs");
            } else {
                g.net_namespace_ipvs =
                    Some(node.arg(0).map(|w| w.text.to_string()).unwrap_or_default());
            }
            extra(r, node, 1);
        }
        "namespace_with_ipsets" => {
            g.namespace_with_ipsets = true;
            extra(r, node, 0);
        }
        "instance" => {
            let Some(name) = need(r, node, "an instance name", "instance name missing") else {
                return true;
            };
            if g.instance.is_some() {
                duplicate(r, node, "instance");
            } else {
                g.instance = Some(name);
                g.use_pid_dir = true;
            }
            extra(r, node, 1);
        }
        "use_pid_dir" => {
            g.use_pid_dir = true;
            extra(r, node, 0);
        }
        "linkbeat_use_polling" => {
            g.linkbeat_use_polling = true;
            extra(r, node, 0);
        }
        "child_wait_time" => {
            if let Some(v) = number(r, node, 0, 0, u32::MAX as i64, IGNORED) {
                g.child_wait_time = Duration::from_secs(v as u64);
            }
            extra(r, node, 1);
        }
        _ => {}
    }
    true
}

const IGNORED: &str = "keepalived ignores this line";

/// One line of `global_defs`.
fn read_global(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    let kw = n.keyword();
    if kw != "notification_email" {
        r.no_block(n);
    }
    match kw {
        "process_names" => {
            g.vrrp_process_name = Some("keepalived_vrrp".into());
            g.checker_process_name = Some("keepalived_lvs".into());
            g.bfd_process_name = Some("keepalived_bfd".into());
            extra(r, n, 0);
        }
        "process_name" => g.process_name = process_name(r, n),
        "vrrp_process_name" => g.vrrp_process_name = process_name(r, n),
        "checker_process_name" => g.checker_process_name = process_name(r, n),
        "lvs_process_name" => {
            deprecated(r, n, "checker_process_name", false);
            g.checker_process_name = process_name(r, n);
        }
        "bfd_process_name" => g.bfd_process_name = process_name(r, n),
        "router_id" => {
            if let Some(v) = need(r, n, "a name", "routerid name missing") {
                g.router_id = Some(v);
            }
            extra(r, n, 1);
        }
        "notification_email_from" => {
            if let Some(v) = need(r, n, "an e-mail address", "emailfrom missing") {
                g.notification_email_from = Some(v);
            }
            extra(r, n, 1);
        }
        "smtp_server" => read_smtp_server(n, r, g),
        "smtp_helo_name" => match n.arg(0) {
            Some(w) => {
                g.smtp_helo_name = Some(w.text.to_string());
                extra(r, n, 1);
            }
            None => r.push(
                Diagnostic::advice(
                    Some(n.span()),
                    "`smtp_helo_name` without a name does nothing",
                )
                .help("write `smtp_helo_name NAME`, or remove the line (the host name is used)")
                .note("keepalived ignores this line without a word"),
            ),
        },
        "smtp_connect_timeout" => {
            if let Some(v) = number(r, n, 0, 0, 4294, IGNORED) {
                if v == 0 {
                    r.push(
                        Diagnostic::error(
                            Some(Reader::span_of(n, 0)),
                            "smtp_connect_timeout must be greater than 0",
                        )
                        .help("write a number of seconds, e.g. 30")
                        .note("keepalived uses 1 second"),
                    );
                }
                g.smtp_connect_timeout = Duration::from_secs(v.max(1) as u64);
            }
            extra(r, n, 1);
        }
        "notification_email" => {
            if let Some(children) = r.block(n) {
                let before = g.notification_email.len();
                for c in children {
                    g.notification_email
                        .extend(c.words.iter().map(|w| w.text.to_string()));
                }
                if g.notification_email.len() == before {
                    r.push(
                        Diagnostic::error(Some(n.span()), "empty notification_email block")
                            .help("list one e-mail address per line inside the braces"),
                    );
                }
            }
            if !n.args().is_empty() {
                extra(r, n, 0);
            }
        }
        "smtp_alert" => set_truth(r, n, &mut g.smtp_alert),
        "smtp_alert_vrrp" => set_truth(r, n, &mut g.smtp_alert_vrrp),
        "smtp_alert_checker" => set_truth(r, n, &mut g.smtp_alert_checker),
        "checker_log_all_failures" => set_bool(r, n, &mut g.checker_log_all_failures),
        "startup_script" | "shutdown_script" => {
            let startup = kw == "startup_script";
            let which = if startup { "startup" } else { "shutdown" };
            let (slot, timeout) = if startup {
                (&mut g.startup_script, &mut g.startup_script_timeout)
            } else {
                (&mut g.shutdown_script, &mut g.shutdown_script_timeout)
            };
            if slot.is_some() {
                r.push(
                    Diagnostic::error(Some(n.span()), format!("{which} script already specified"))
                        .help("keepalived runs one startup and one shutdown script")
                        .note(IGNORED),
                );
                return;
            }
            let Some(cmd) = command(r, n, &format!("{which} script missing")) else {
                return;
            };
            if let Some(u) = &cmd.user
                && let Some(bad) = unknown_account(u, cmd.group.as_deref())
            {
                r.push(
                    Diagnostic::error(
                        Some(Reader::span_of(n, 1)),
                        format!("invalid {which} script: {bad} does not exist"),
                    )
                    .help("name an existing user (and group) after the script")
                    .note("keepalived does not run this script"),
                );
                return;
            }
            *slot = Some(cmd);
            timeout.get_or_insert(DEFAULT_SCRIPT_TIMEOUT);
        }
        "startup_script_timeout" | "shutdown_script_timeout" => {
            if n.arg(0).is_none() {
                missing(
                    r,
                    n,
                    &format!("{kw} requires value"),
                    "write a number of seconds from 1 to 1000",
                );
                return;
            }
            if let Some(v) = number(r, n, 0, 1, 1000, IGNORED) {
                let d = Some(Duration::from_secs(v as u64));
                if kw == "startup_script_timeout" {
                    g.startup_script_timeout = d;
                } else {
                    g.shutdown_script_timeout = d;
                }
            }
            extra(r, n, 1);
        }
        "max_auto_priority" => {
            if n.arg(0).is_none() {
                g.max_auto_priority = RT_PRIORITY_MAX;
            } else if let Some(v) = number(r, n, 0, -1, RT_PRIORITY_MAX as i64, IGNORED) {
                g.max_auto_priority = v as i32;
            }
            extra(r, n, 1);
        }
        "min_auto_priority_delay" => {
            if n.arg(0).is_none() {
                missing(
                    r,
                    n,
                    "min_auto_priority_delay requires delay time",
                    "write microseconds from 1 to 10000000",
                );
                return;
            }
            if let Some(v) = number(r, n, 0, 1, 10_000_000, IGNORED) {
                g.min_auto_priority_delay = Duration::from_micros(v as u64);
            }
            extra(r, n, 1);
        }
        "dynamic_interfaces" => {
            g.dynamic_interfaces = true;
            if let Some(w) = n.arg(0) {
                if w.text == "allow_if_changes" {
                    g.allow_if_changes = true;
                } else {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("unknown dynamic_interfaces option '{}'", w.text),
                        )
                        .help("the only option is `allow_if_changes`")
                        .note("keepalived still enables dynamic_interfaces"),
                    );
                }
            }
            extra(r, n, 1);
        }
        "no_email_faults" => flag(r, n, &mut g.no_email_faults),
        "default_interface" => {
            if let Some(v) = need(
                r,
                n,
                "an interface",
                "default_interface requires interface name",
            ) {
                g.default_interface = Some(v);
            }
            extra(r, n, 1);
        }
        "disable_local_igmp" => flag(r, n, &mut g.disable_local_igmp),
        "lvs_timeouts" => read_lvs_timeouts(n, r, g),
        "lvs_sync_daemon" => read_lvs_sync_daemon(n, r, g),
        "lvs_flush" => flag(r, n, &mut g.lvs_flush),
        "lvs_flush_on_stop" | "lvs_flush_onstop" => {
            if kw == "lvs_flush_onstop" {
                deprecated(r, n, "lvs_flush_on_stop", false);
            }
            match n.arg(0) {
                None => g.lvs_flush_on_stop = Some(LvsFlushOnStop::Full),
                Some(w) if w.text == "VS" => g.lvs_flush_on_stop = Some(LvsFlushOnStop::Vs),
                Some(w) => {
                    let mut d = Diagnostic::error(
                        Some(w.span),
                        format!("unknown lvs_flush_on_stop type {}", w.text),
                    )
                    .note(IGNORED);
                    d = if w.text.eq_ignore_ascii_case("vs") {
                        d.help("write `VS` in capitals")
                    } else {
                        d.help("write `lvs_flush_on_stop` alone (flush everything) or `lvs_flush_on_stop VS`")
                    };
                    r.push(d);
                }
            }
            extra(r, n, 1);
        }
        "vrrp_mcast_group4" => {
            if let Some(IpAddr::V4(a)) = mcast_group(r, n, false) {
                g.vrrp_mcast_group4 = a;
            }
        }
        "vrrp_mcast_group6" => {
            if let Some(IpAddr::V6(a)) = mcast_group(r, n, true) {
                g.vrrp_mcast_group6 = a;
            }
        }
        "vrrp_garp_master_delay" => {
            if let Some(v) = number(r, n, 0, 0, 4294, IGNORED) {
                g.vrrp_garp_master_delay = Duration::from_secs(v as u64);
            }
            extra(r, n, 1);
        }
        "vrrp_garp_master_repeat" | "vrrp_garp_master_refresh_repeat" => {
            if let Some(v) = number(r, n, 0, 0, u32::MAX as i64, IGNORED) {
                if v == 0 {
                    r.push(
                        Diagnostic::error(
                            Some(Reader::span_of(n, 0)),
                            format!("{kw} must be greater than 0"),
                        )
                        .help("write 1 or more")
                        .note("keepalived uses 1"),
                    );
                }
                let v = v.max(1) as u32;
                if kw == "vrrp_garp_master_repeat" {
                    g.vrrp_garp_master_repeat = v;
                } else {
                    g.vrrp_garp_master_refresh_repeat = v;
                }
            }
            extra(r, n, 1);
        }
        "vrrp_garp_master_refresh" => {
            // keepalived turns refreshing off when the value is bad.
            g.vrrp_garp_master_refresh = number(
                r,
                n,
                0,
                0,
                u32::MAX as i64,
                "keepalived turns refreshing off (0)",
            )
            .map(|v| Duration::from_secs(v as u64))
            .unwrap_or(Duration::ZERO);
            extra(r, n, 1);
        }
        "vrrp_garp_lower_prio_delay" => {
            if let Some(v) = number(r, n, 0, 0, 4294, IGNORED) {
                g.vrrp_garp_lower_prio_delay = Some(Duration::from_secs(v as u64));
            }
            extra(r, n, 1);
        }
        "vrrp_garp_lower_prio_repeat" => {
            if let Some(v) = number(r, n, 0, 0, i32::MAX as i64, IGNORED) {
                g.vrrp_garp_lower_prio_repeat = Some(v as u32);
            }
            extra(r, n, 1);
        }
        "vrrp_down_timer_adverts" => {
            if let Some(v) = number(r, n, 0, 1, 100, IGNORED) {
                g.vrrp_down_timer_adverts = v as u32;
            }
            extra(r, n, 1);
        }
        "vrrp_garp_interval" | "vrrp_gna_interval" => {
            if let Some(us) = decimal(r, n, 0, 6, 1, u32::MAX as u64, IGNORED) {
                let d = Duration::from_micros(us);
                if d >= Duration::from_secs(1) {
                    r.push(
                        Diagnostic::advice(
                            Some(Reader::span_of(n, 0)),
                            format!(
                                "the {kw} is very large: {} seconds between two messages",
                                arg_text(n, 0)
                            ),
                        )
                        .help("the value is in seconds: 0.001 is one millisecond"),
                    );
                }
                if kw == "vrrp_garp_interval" {
                    g.vrrp_garp_interval = d;
                } else {
                    g.vrrp_gna_interval = d;
                }
            }
            extra(r, n, 1);
        }
        "vrrp_min_garp" => {
            let Some(on) = truth(r, n) else { return };
            if on {
                g.vrrp_min_garp = true;
                // keepalived leaves values already set away from their defaults alone.
                if g.vrrp_garp_master_repeat == DEFAULT_GARP_REPEAT {
                    g.vrrp_garp_master_repeat = 1;
                }
                if g.vrrp_garp_master_refresh_repeat == DEFAULT_GARP_REFRESH_REPEAT {
                    g.vrrp_garp_master_refresh_repeat = 0;
                }
                if g.vrrp_garp_master_delay == DEFAULT_GARP_DELAY {
                    g.vrrp_garp_master_delay = Duration::ZERO;
                }
            }
        }
        "vrrp_garp_extra_if" | "vrrp_vmac_garp_intvl" => {
            if kw == "vrrp_vmac_garp_intvl" {
                deprecated(r, n, "vrrp_garp_extra_if", true);
            }
            read_garp_extra_if(n, r, g);
        }
        "vrrp_lower_prio_no_advert" => set_bool(r, n, &mut g.vrrp_lower_prio_no_advert),
        "vrrp_higher_prio_send_advert" => set_bool(r, n, &mut g.vrrp_higher_prio_send_advert),
        "vrrp_version" => {
            if let Some(v) = number(r, n, 0, 2, 3, IGNORED) {
                g.vrrp_version = v as u8;
            }
            extra(r, n, 1);
        }
        "vrrp_iptables" => {
            r.push(
                Diagnostic::error(
                    Some(n.span()),
                    "iptables is not supported: nftables is used instead",
                )
                .help("replace `vrrp_iptables` (and `vrrp_ipsets`) with `nftables`")
                .note("keepalived 2.2.7 as Debian builds it has no iptables support either, and says the same"),
            );
            g.vrrp_iptables = Some(IptablesChains {
                input: n
                    .arg(0)
                    .map(|w| w.text.to_string())
                    .unwrap_or_else(|| "INPUT".into()),
                output: match n.arg(0) {
                    None => Some("OUTPUT".into()),
                    Some(_) => n.arg(1).map(|w| w.text.to_string()),
                },
            });
            g.nftables = Some(DEFAULT_NFTABLES_TABLE.into());
            g.nftables_priority = DEFAULT_NFTABLES_PRIORITY;
        }
        "vrrp_ipsets" => {
            r.push(
                Diagnostic::error(Some(n.span()), "`vrrp_ipsets` is not supported (no iptables/ipset support)")
                    .help("remove the line; with `nftables` keepalived manages its own sets")
                    .note("keepalived 2.2.7 as Debian builds it reports this as an unknown keyword and ignores it"),
            );
            g.vrrp_ipsets = n.args().iter().map(|w| w.text.to_string()).collect();
        }
        "nftables" | "nftables_ipvs" => {
            let ipvs = kw == "nftables_ipvs";
            let slot = if ipvs {
                &mut g.nftables_ipvs
            } else {
                &mut g.nftables
            };
            if slot.is_some() {
                r.push(
                    Diagnostic::error(Some(n.span()), format!("{kw} already specified"))
                        .help(format!("keep one `{kw}` line"))
                        .note(IGNORED),
                );
                return;
            }
            let name = match n.arg(0) {
                Some(w) if w.text.len() >= NFT_TABLE_MAXNAMELEN => {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("{kw} table name '{}' is too long", w.text),
                        )
                        .help(format!(
                            "use at most {} characters",
                            NFT_TABLE_MAXNAMELEN - 1
                        ))
                        .note(IGNORED),
                    );
                    return;
                }
                Some(w) => w.text.to_string(),
                None if ipvs => DEFAULT_NFTABLES_IPVS_TABLE.into(),
                None => DEFAULT_NFTABLES_TABLE.into(),
            };
            *slot = Some(name);
            if ipvs {
                g.nftables_ipvs_priority = DEFAULT_NFTABLES_PRIORITY;
                g.nftables_ipvs_start_fwmark = DEFAULT_IPVS_START_FWMARK;
            } else {
                g.nftables_priority = DEFAULT_NFTABLES_PRIORITY;
            }
            extra(r, n, 1);
        }
        "nftables_priority" | "nftables_ipvs_priority" => {
            if let Some(v) = number(r, n, 0, i32::MIN as i64, i32::MAX as i64, IGNORED) {
                if kw == "nftables_priority" {
                    g.nftables_priority = v as i32;
                } else {
                    g.nftables_ipvs_priority = v as i32;
                }
            }
            extra(r, n, 1);
        }
        "nftables_ipvs_start_fwmark" => {
            if let Some(v) = number(r, n, 0, 1, u32::MAX as i64, IGNORED) {
                g.nftables_ipvs_start_fwmark = v as u32;
            }
            extra(r, n, 1);
        }
        "nftables_counters" => flag(r, n, &mut g.nftables_counters),
        "nftables_ifindex" => flag(r, n, &mut g.nftables_ifindex),
        "vrrp_check_unicast_src" => flag(r, n, &mut g.vrrp_check_unicast_src),
        "vrrp_skip_check_adv_addr" => flag(r, n, &mut g.vrrp_skip_check_adv_addr),
        "vrrp_strict" => flag(r, n, &mut g.vrrp_strict),
        "vrrp_priority" => g.vrrp_sched.priority = nice(r, n, "vrrp"),
        "checker_priority" => g.checker_sched.priority = nice(r, n, "checker"),
        "bfd_priority" => g.bfd_sched.priority = nice(r, n, "bfd"),
        "vrrp_no_swap" => flag(r, n, &mut g.vrrp_sched.no_swap),
        "checker_no_swap" => flag(r, n, &mut g.checker_sched.no_swap),
        "bfd_no_swap" => flag(r, n, &mut g.bfd_sched.no_swap),
        "vrrp_rt_priority" => rt_priority(r, n, "vrrp", &mut g.vrrp_sched),
        "checker_rt_priority" => rt_priority(r, n, "checker", &mut g.checker_sched),
        "bfd_rt_priority" => rt_priority(r, n, "bfd", &mut g.bfd_sched),
        "vrrp_cpu_affinity" => cpu_affinity(r, n, "vrrp", &mut g.vrrp_sched),
        "checker_cpu_affinity" => cpu_affinity(r, n, "checker", &mut g.checker_sched),
        "bfd_cpu_affinity" => cpu_affinity(r, n, "bfd", &mut g.bfd_sched),
        "vrrp_rlimit_rttime" | "vrrp_rlimit_rtime" => rlimit(r, n, &mut g.vrrp_sched),
        "checker_rlimit_rttime" | "checker_rlimit_rtime" => rlimit(r, n, &mut g.checker_sched),
        "bfd_rlimit_rttime" | "bfd_rlimit_rtime" => rlimit(r, n, &mut g.bfd_sched),
        "notify_fifo" => fifo(r, n, "", &mut g.notify_fifo),
        "vrrp_notify_fifo" => fifo(r, n, "vrrp_", &mut g.vrrp_notify_fifo),
        "lvs_notify_fifo" => fifo(r, n, "lvs_", &mut g.lvs_notify_fifo),
        "notify_fifo_script" => fifo_script(r, n, "", &mut g.notify_fifo),
        "vrrp_notify_fifo_script" => fifo_script(r, n, "vrrp_", &mut g.vrrp_notify_fifo),
        "lvs_notify_fifo_script" => fifo_script(r, n, "lvs_", &mut g.lvs_notify_fifo),
        "vrrp_notify_priority_changes" => set_bool(r, n, &mut g.vrrp_notify_priority_changes),
        "fifo_write_vrrp_states_on_reload" => flag(r, n, &mut g.fifo_write_vrrp_states_on_reload),
        "snmp_socket" => {
            if let Some(w) = n.arg(1) {
                r.push(
                    Diagnostic::error(
                        Some(w.span),
                        "too many parameters specified for snmp_socket",
                    )
                    .help("write `snmp_socket SPEC`, e.g. `snmp_socket udp:1.2.3.4:705`")
                    .note(IGNORED),
                );
                return;
            }
            let Some(v) = need(r, n, "a socket", "SNMP error : snmp socket name missing") else {
                return;
            };
            if g.snmp_socket.is_some() {
                duplicate(r, n, "snmp_socket");
            } else {
                g.snmp_socket = Some(v);
            }
        }
        "enable_traps" => flag(r, n, &mut g.enable_traps),
        "enable_snmp_vrrp" => flag(r, n, &mut g.enable_snmp_vrrp),
        "enable_snmp_keepalived" => {
            deprecated(r, n, "enable_snmp_vrrp", false);
            flag(r, n, &mut g.enable_snmp_vrrp);
        }
        "enable_snmp_rfc" => {
            g.enable_snmp_rfcv2 = true;
            g.enable_snmp_rfcv3 = true;
            extra(r, n, 0);
        }
        "enable_snmp_rfcv2" => flag(r, n, &mut g.enable_snmp_rfcv2),
        "enable_snmp_rfcv3" => flag(r, n, &mut g.enable_snmp_rfcv3),
        "enable_snmp_checker" => flag(r, n, &mut g.enable_snmp_checker),
        "enable_dbus" => flag(r, n, &mut g.enable_dbus),
        "dbus_service_name" => {
            if let Some(v) = need(r, n, "a service name", "dbus_service_name missing") {
                g.dbus_service_name = Some(v);
            }
            extra(r, n, 1);
        }
        "script_user" => {
            let Some(user) = need(r, n, "a user name", "no script username specified") else {
                return;
            };
            let group = n.arg(1).map(|w| w.text.to_string());
            if let Some(bad) = unknown_account(&user, group.as_deref()) {
                r.push(
                    Diagnostic::error(
                        Some(n.span()),
                        format!("script {bad} does not exist: error setting global script uid/gid"),
                    )
                    .help(
                        "create the account, or name an existing one (`script_user USER [GROUP]`)",
                    )
                    .note("keepalived then drops every script that has no user of its own"),
                );
            }
            g.script_user = Some(ScriptUser {
                user,
                group,
                span: n.span(),
            });
            extra(r, n, 2);
        }
        "enable_script_security" => flag(r, n, &mut g.enable_script_security),
        "vrrp_netlink_cmd_rcv_bufs" => rcv_bufs(r, n, &mut g.vrrp_netlink_cmd_rcv_bufs),
        "vrrp_netlink_monitor_rcv_bufs" => rcv_bufs(r, n, &mut g.vrrp_netlink_monitor_rcv_bufs),
        "lvs_netlink_cmd_rcv_bufs" => rcv_bufs(r, n, &mut g.lvs_netlink_cmd_rcv_bufs),
        "lvs_netlink_monitor_rcv_bufs" => rcv_bufs(r, n, &mut g.lvs_netlink_monitor_rcv_bufs),
        "process_monitor_rcv_bufs" => rcv_bufs(r, n, &mut g.process_monitor_rcv_bufs),
        "vrrp_netlink_cmd_rcv_bufs_force" => set_bool(r, n, &mut g.vrrp_netlink_cmd_rcv_bufs_force),
        "vrrp_netlink_monitor_rcv_bufs_force" => {
            set_bool(r, n, &mut g.vrrp_netlink_monitor_rcv_bufs_force)
        }
        "lvs_netlink_cmd_rcv_bufs_force" => set_bool(r, n, &mut g.lvs_netlink_cmd_rcv_bufs_force),
        "lvs_netlink_monitor_rcv_bufs_force" => {
            set_bool(r, n, &mut g.lvs_netlink_monitor_rcv_bufs_force)
        }
        "process_monitor_rcv_bufs_force" => set_bool(r, n, &mut g.process_monitor_rcv_bufs_force),
        "rs_init_notifies" => set_bool(r, n, &mut g.rs_init_notifies),
        "no_checker_emails" => set_bool(r, n, &mut g.no_checker_emails),
        "vrrp_rx_bufs_policy" => read_rx_bufs_policy(n, r, g),
        "vrrp_rx_bufs_multiplier" => {
            if n.args().len() != 1 {
                r.push(
                    Diagnostic::error(Some(n.line_span()), "invalid vrrp_rx_bufs_multiplier")
                        .help("write `vrrp_rx_bufs_multiplier N` with one number, 1 or more")
                        .note(IGNORED),
                );
                return;
            }
            if let Some(v) = number(r, n, 0, 1, u32::MAX as i64, IGNORED) {
                g.vrrp_rx_bufs_multiplier = v as u32;
            }
        }
        "vrrp_startup_delay" => {
            if let Some(us) = decimal(r, n, 0, 6, 1000, u32::MAX as u64, IGNORED) {
                let d = Duration::from_micros(us);
                if d >= Duration::from_secs(60) {
                    r.push(Diagnostic::advice(
                        Some(Reader::span_of(n, 0)),
                        format!(
                            "the vrrp_startup_delay is very large: {} seconds",
                            arg_text(n, 0)
                        ),
                    ));
                }
                g.vrrp_startup_delay = Some(d);
            }
            extra(r, n, 1);
        }
        "log_unknown_vrids" => flag(r, n, &mut g.log_unknown_vrids),
        "vmac_prefix" | "vmac_addr_prefix" => {
            let Some(v) = r.string(n, 0, "a prefix") else {
                return;
            };
            let slot = if kw == "vmac_prefix" {
                &mut g.vmac_prefix
            } else {
                &mut g.vmac_addr_prefix
            };
            if slot.is_some() {
                duplicate(r, n, kw);
            } else {
                *slot = Some(v);
            }
            extra(r, n, 1);
        }
        "umask" => read_umask(n, r, g),
        "random_seed" => {
            if let Some(v) = number(r, n, 0, 0, u32::MAX as i64, IGNORED) {
                g.random_seed = Some(v as u32);
            }
            extra(r, n, 1);
        }
        "reload_check_config" => {
            g.reload_check_config = Some(
                n.arg(0)
                    .map(|w| w.text.to_string())
                    .unwrap_or_else(|| "/dev/null".into()),
            );
            extra(r, n, 1);
        }
        "reload_time_file" => {
            if n.args().len() != 1 {
                r.push(
                    Diagnostic::error(Some(n.line_span()), "reload_time_file invalid")
                        .help("write `reload_time_file /ABSOLUTE/PATH` with one path")
                        .note(IGNORED),
                );
                return;
            }
            g.reload_time_file = n.arg(0).map(|w| w.text.to_string());
        }
        "reload_repeat" => flag(r, n, &mut g.reload_repeat),
        "reload_file" => {
            g.reload_file = Some(match n.arg(0) {
                Some(w) => ReloadFile::Path(w.text.to_string()),
                None => ReloadFile::Default,
            });
            extra(r, n, 1);
        }
        "include_check" => read_include_check(n, r, g),
        "config_save_dir" => {
            let Some(dir) = r.string(n, 0, "a directory") else {
                return;
            };
            let p = Path::new(&dir);
            let problem = if p.is_dir() {
                None
            } else if p.exists() {
                Some(format!(
                    "config_save_dir {dir} exists and is not a directory"
                ))
            } else if p
                .parent()
                .is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir())
            {
                Some(format!(
                    "unable to create config_save_dir {dir}: its parent directory does not exist"
                ))
            } else {
                None
            };
            match problem {
                Some(m) => r.push(
                    Diagnostic::error(Some(Reader::span_of(n, 0)), m)
                        .help("name a directory (keepalived creates the last component if missing)")
                        .note(IGNORED),
                ),
                None => {
                    let trimmed = match dir.strip_suffix('/') {
                        Some(t) if !t.is_empty() => t.to_string(),
                        _ => dir.clone(),
                    };
                    g.config_save_dir = Some(trimmed);
                }
            }
            extra(r, n, 1);
        }
        "tmp_config_directory" => {
            if g.tmp_config_directory.is_some() {
                duplicate(r, n, kw);
                return;
            }
            if let Some(v) = need(
                r,
                n,
                "a directory",
                "tmp_config_directory missing directory name",
            ) {
                g.tmp_config_directory = Some(v);
            }
            extra(r, n, 1);
        }
        "data_use_instance" => set_bool(r, n, &mut g.data_use_instance),
        "vrrp_vip_lifetime" => {
            if let Some(v) = number(r, n, 0, 0, u32::MAX as i64 - 1, IGNORED) {
                if (1..3).contains(&v) {
                    r.push(
                        Diagnostic::advice(
                            Some(Reader::span_of(n, 0)),
                            format!("a VIP lifetime of {v} s can run out between two refreshes"),
                        )
                        .help("use 3 seconds or more (the kernel counts whole seconds), or 0 for permanent VIPs"),
                    );
                }
                g.vrrp_vip_lifetime = Some(v as u32);
            }
            r.push(
                Diagnostic::advice(
                    Some(n.span()),
                    "`vrrp_vip_lifetime` is a keepalived-rs extension",
                )
                .note("keepalived 2.2.7 reports it as an unknown keyword: keep it out of files both read"),
            );
            extra(r, n, 1);
        }
        _ if TOP_KEYWORDS.contains(&kw) => {
            r.push(
                Diagnostic::error(
                    Some(n.span()),
                    format!("unknown keyword `{kw}` in `global_defs`"),
                )
                .help(format!(
                    "`{kw}` belongs at the top level: move it before `global_defs {{`"
                ))
                .note("keepalived ignores this line"),
            );
        }
        _ => r.unknown(n, Some("global_defs"), GLOBAL_DEFS_KEYWORDS),
    }
}

// ---------------------------------------------------------------------------------------------
// Keyword readers that need more than one value.

fn read_smtp_server(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    let Some(w) = n.arg(0) else {
        r.str(n, 0, "an address or host name");
        return;
    };
    let port = match n.arg(1) {
        None => SMTP_PORT,
        Some(p) => match p.text.parse::<u16>() {
            Ok(v) if v >= 1 => v,
            _ => {
                r.push(
                    Diagnostic::error(
                        Some(p.span),
                        format!(
                            "invalid smtp server {} {}: the port must be 1 to 65535",
                            w.text, p.text
                        ),
                    )
                    .note(IGNORED),
                );
                return;
            }
        },
    };
    // keepalived strips a "/mask" or "-range" before trying the text as an address, and
    // otherwise resolves it as a name.
    let host = match ip_prefix(&w.text) {
        Some(a) if !w.text.contains(['-', '/']) => SmtpHost::Ip(a),
        _ if is_host_name(&w.text) => {
            r.push(
                Diagnostic::advice(
                    Some(w.span),
                    format!("keepalived resolves {} once, while reading the configuration", w.text),
                )
                .note("if the name does not resolve then, keepalived reports an invalid smtp server and sends no mail"),
            );
            SmtpHost::Name(w.text.to_string())
        }
        _ => {
            r.push(
                Diagnostic::error(Some(w.span), format!("invalid smtp server {} {port}", w.text))
                    .help("write an IP address or a host name, then optionally a port: `smtp_server 192.0.2.1 25`")
                    .note(IGNORED),
            );
            return;
        }
    };
    g.smtp_server = Some(SmtpServer {
        host,
        port,
        span: w.span,
    });
    extra(r, n, 2);
}

fn read_lvs_timeouts(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    if n.args().len() < 2 {
        r.push(
            Diagnostic::error(
                Some(n.line_span()),
                "lvs_timeouts requires at least one option",
            )
            .help("write e.g. `lvs_timeouts tcp 900 tcpfin 120 udp 300`")
            .note(IGNORED),
        );
        return;
    }
    let args = n.args();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let slot = match w.text.as_str() {
            "tcp" => &mut g.lvs_timeouts.tcp,
            "tcpfin" => &mut g.lvs_timeouts.tcpfin,
            "udp" => &mut g.lvs_timeouts.udp,
            other => {
                let mut d = Diagnostic::error(
                    Some(w.span),
                    format!("unknown option {other} specified for lvs_timeouts"),
                )
                .note("keepalived ignores this word");
                if let Some(s) = crate::diag::nearest(other, ["tcp", "tcpfin", "udp"]) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.help("the options are tcp, tcpfin and udp, each followed by seconds");
                }
                r.push(d);
                // Its value is not a second problem.
                let value_follows = args
                    .get(i + 1)
                    .is_some_and(|v| v.text.parse::<u64>().is_ok());
                i += if value_follows { 2 } else { 1 };
                continue;
            }
        };
        if i + 1 == args.len() {
            r.push(
                Diagnostic::error(
                    Some(w.span),
                    format!("no value specified for lvs_timeout {}", w.text),
                )
                .help(format!("write `{} SECONDS`", w.text))
                .note("keepalived ignores this option"),
            );
            break;
        }
        if let Some(v) = number(
            r,
            n,
            i + 1,
            0,
            LVS_MAX_TIMEOUT as i64,
            "keepalived ignores this option",
        ) {
            *slot = Some(Duration::from_secs(v as u64));
        }
        i += 2;
    }
}

fn read_lvs_sync_daemon(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    if let Some(prev) = &g.lvs_sync_daemon {
        r.push(
            Diagnostic::error(
                Some(n.span()),
                format!(
                    "lvs_sync_daemon has already been specified as {}",
                    prev.interface
                ),
            )
            .help("keep one lvs_sync_daemon line")
            .note(IGNORED),
        );
        return;
    }
    let Some(ifw) = n.arg(0) else {
        missing(
            r,
            n,
            "lvs_sync_daemon requires interface",
            "write `lvs_sync_daemon IFNAME [inst INSTANCE] [id N]`",
        );
        return;
    };
    if ifw.text.len() >= IPVS_IFNAME_MAXLEN {
        r.push(
            Diagnostic::error(
                Some(ifw.span),
                format!("lvs_sync_daemon interface name '{}' too long", ifw.text),
            )
            .help(format!(
                "interface names have at most {} characters",
                IPVS_IFNAME_MAXLEN - 1
            ))
            .note(IGNORED),
        );
        return;
    }
    let mut d = LvsSyncDaemon {
        interface: ifw.text.to_string(),
        instance: None,
        sync_id: None,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
        span: n.span(),
    };
    let args = n.args();
    // i counts words as keepalived does (the keyword is word 0).
    let mut i = 2;
    while i <= args.len() {
        let w = &args[i - 1];
        let has_value = i < args.len();
        let ignored_opt = "keepalived ignores this option";
        match w.text.as_str() {
            "inst" => {
                let Some(v) = r.string(n, i, "a vrrp_instance name") else {
                    g.lvs_sync_daemon = Some(d);
                    return;
                };
                if d.instance.is_some() {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            "lvs_sync_daemon vrrp instance has already been specified",
                        )
                        .note(ignored_opt),
                    );
                } else {
                    d.instance = Some(v);
                }
                i += 2;
                continue;
            }
            opt @ ("id" | "maxlen" | "port" | "ttl" | "group") => {
                if !has_value {
                    r.push(
                        Diagnostic::error(
                            Some(w.span),
                            format!("no value specified for lvs_sync_daemon {opt}"),
                        )
                        .help(format!("write `{opt} VALUE`"))
                        .note(ignored_opt),
                    );
                    i += 1;
                    continue;
                }
                match opt {
                    "id" => {
                        d.sync_id = number(r, n, i, 0, 255, "keepalived uses the instance's VRID")
                            .map(|v| v as u8)
                            .or(d.sync_id)
                    }
                    "maxlen" => {
                        d.maxlen = number(r, n, i, 1, 65535 - 20 - 8, ignored_opt)
                            .map(|v| v as u16)
                            .or(d.maxlen)
                    }
                    "port" => {
                        d.port = number(r, n, i, 1, 65535, ignored_opt)
                            .map(|v| v as u16)
                            .or(d.port)
                    }
                    "ttl" => {
                        d.ttl = number(r, n, i, 1, 255, ignored_opt)
                            .map(|v| v as u8)
                            .or(d.ttl)
                    }
                    _ => {
                        let v = &args[i];
                        match ip_prefix(&v.text) {
                            None => r.push(
                                Diagnostic::error(
                                    Some(v.span),
                                    format!("invalid lvs_sync_daemon group ({})", v.text),
                                )
                                .help("write a multicast address, e.g. 224.0.0.81")
                                .note(ignored_opt),
                            ),
                            Some(a) if !a.is_multicast() => r.push(
                                Diagnostic::error(
                                    Some(v.span),
                                    format!(
                                        "lvs_sync_daemon group address {} is not multicast",
                                        v.text
                                    ),
                                )
                                .help("use a multicast address, e.g. 224.0.0.81 or ff02::1:8848")
                                .note(ignored_opt),
                            ),
                            Some(a) => d.group = Some(a),
                        }
                    }
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        // The old positional form: IFNAME INSTANCE [SYNC_ID].
        if i == 2 {
            d.instance = Some(w.text.to_string());
        } else if i == 3 {
            if let Some(v) = number(r, n, i - 1, 0, 255, "keepalived uses the instance's VRID") {
                r.push(
                    Diagnostic::error(
                        Some(w.span),
                        "please use keyword \"id\" before lvs_sync_daemon SYNCID",
                    )
                    .help(format!("write `id {v}`"))
                    .note("keepalived uses the value"),
                );
                d.sync_id = Some(v as u8);
            }
        } else {
            let mut diag = Diagnostic::error(
                Some(w.span),
                format!("unknown option {} specified for lvs_sync_daemon", w.text),
            )
            .note(ignored_opt);
            if let Some(s) =
                crate::diag::nearest(&w.text, ["inst", "id", "maxlen", "port", "ttl", "group"])
            {
                diag = diag.help(format!("did you mean `{s}`?"));
            }
            r.push(diag);
        }
        i += 1;
    }
    g.lvs_sync_daemon = Some(d);
}

fn read_garp_extra_if(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    let kw = n.keyword();
    let mut all = false;
    let mut secs = 0;
    for (i, w) in n.args().iter().enumerate() {
        if w.text == "all" {
            all = true;
        } else {
            match number(r, n, i, 1, 86_400, IGNORED) {
                Some(v) => secs = v,
                None => return,
            }
        }
    }
    if secs == 0 {
        r.push(
            Diagnostic::error(Some(n.line_span()), format!("{kw} specified without time"))
                .help(format!("write `{kw} [all] SECONDS`, e.g. `{kw} 100`"))
                .note(IGNORED),
        );
        return;
    }
    g.vrrp_garp_extra_if = Some(GarpExtraIf {
        interval: Duration::from_secs(secs as u64),
        all,
    });
}

fn read_rx_bufs_policy(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    if n.args().is_empty() {
        missing(
            r,
            n,
            "vrrp_rx_bufs_policy missing",
            "write `vrrp_rx_bufs_policy MTU`, `ADVERT` or a size in bytes",
        );
        return;
    }
    let (mut mtu, mut advert, mut size) = (false, false, None);
    for w in n.args() {
        if w.text.eq_ignore_ascii_case("MTU") {
            mtu = true;
        } else if w.text.eq_ignore_ascii_case("ADVERT") {
            advert = true;
        } else {
            // keepalived reads the size from the first word, whichever word is not a policy.
            match n.arg(0).and_then(|f| f.text.parse::<u32>().ok()) {
                Some(v) => size = Some(v),
                None => r.push(
                    Diagnostic::error(
                        Some(w.span),
                        format!("invalid vrrp_rx_bufs_policy {}", w.text),
                    )
                    .help("write MTU, ADVERT or a size in bytes (alone)")
                    .note("keepalived ignores this word"),
                ),
            }
        }
    }
    let policy = if let Some(s) = size {
        if mtu || advert {
            r.push(
                Diagnostic::error(
                    Some(n.line_span()),
                    "cannot set vrrp_rx_bufs_policy size and policy",
                )
                .help("give either a size or MTU/ADVERT")
                .note("keepalived ignores the policy and uses the size"),
            );
        }
        Some(RxBufsPolicy::Size(s))
    } else if mtu {
        if advert {
            r.push(
                Diagnostic::error(
                    Some(n.line_span()),
                    "cannot set both vrrp_rx_bufs_policy MTU and ADVERT",
                )
                .help("choose MTU or ADVERT")
                .note("keepalived ignores ADVERT"),
            );
        }
        Some(RxBufsPolicy::Mtu)
    } else if advert {
        Some(RxBufsPolicy::Advert)
    } else {
        None
    };
    if policy.is_some() {
        g.vrrp_rx_bufs_policy = policy;
    }
}

fn read_umask(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    let Some(first) = r.str(n, 0, "a mask") else {
        return;
    };
    let fail = |r: &mut Reader<'_>, span: Span, msg: String| {
        r.push(
            Diagnostic::error(Some(span), msg)
                .help(
                    "write a number (e.g. 022) or bits like `IWGRP|IWOTH` (I{R,W,X}{USR,GRP,OTH})",
                )
                .note(IGNORED),
        );
    };
    if first.starts_with(|c: char| c.is_ascii_digit()) {
        if n.args().len() != 1 {
            fail(
                r,
                n.line_span(),
                "extra parameter(s) to umask option".into(),
            );
            return;
        }
        match parse_c_number(first) {
            Some(v) if v <= 0o777 => g.umask = v as u32,
            _ => fail(
                r,
                Reader::span_of(n, 0),
                format!("invalid umask value {first}"),
            ),
        }
        return;
    }
    const BITS: [(&str, u32); 9] = [
        ("IRUSR", 0o400),
        ("IWUSR", 0o200),
        ("IXUSR", 0o100),
        ("IRGRP", 0o040),
        ("IWGRP", 0o020),
        ("IXGRP", 0o010),
        ("IROTH", 0o004),
        ("IWOTH", 0o002),
        ("IXOTH", 0o001),
    ];
    let mut bits = 0;
    let mut need_or = false;
    for w in n.args() {
        let mut p = w.text.as_str();
        while !p.is_empty() {
            if need_or {
                match p.strip_prefix('|') {
                    Some(rest) => {
                        need_or = false;
                        p = rest;
                        continue;
                    }
                    None => {
                        fail(r, w.span, format!("invalid umask syntax {}", w.text));
                        return;
                    }
                }
            }
            match BITS.iter().find(|(name, _)| p.starts_with(name)) {
                Some((name, bit)) => {
                    bits |= bit;
                    p = &p[name.len()..];
                    need_or = true;
                }
                None => {
                    fail(r, w.span, format!("unknown umask bit {p}"));
                    return;
                }
            }
        }
    }
    if !need_or {
        fail(r, n.line_span(), "umask missing bit value".into());
        return;
    }
    g.umask = bits;
}

fn read_include_check(n: &Node, r: &mut Reader<'_>, g: &mut GlobalDefs) {
    let all = IncludeCheck {
        read: true,
        r#match: true,
        wildcard_match: true,
        brace_match: true,
    };
    if n.args().is_empty() {
        g.include_check = Some(all);
        return;
    }
    let mut c = g.include_check.unwrap_or(IncludeCheck {
        read: true,
        r#match: false,
        wildcard_match: false,
        brace_match: false,
    });
    for (i, w) in n.args().iter().enumerate() {
        let (op, name) = match w.text.as_bytes().first() {
            Some(b'+') => (1, &w.text[1..]),
            Some(b'-') => (-1, &w.text[1..]),
            _ => (0, w.text.as_str()),
        };
        if op == 0 {
            if i > 0 {
                r.push(
                    Diagnostic::error(
                        Some(w.span),
                        format!("duplicate include_check '{}' specified", w.text),
                    )
                    .help("after the first option, add with `+name` or remove with `-name`")
                    .note("keepalived ignores this word"),
                );
                continue;
            }
            // keepalived clears the set first, so an unknown word leaves nothing checked.
            c = IncludeCheck {
                read: false,
                r#match: false,
                wildcard_match: false,
                brace_match: false,
            };
        }
        let field = match name {
            "read" => &mut c.read,
            "match" => &mut c.r#match,
            "wildcard_match" => &mut c.wildcard_match,
            "brace_match" => &mut c.brace_match,
            other => {
                let mut d = Diagnostic::error(
                    Some(w.span),
                    format!("unknown include_check type '{other}'"),
                )
                .note("keepalived ignores this word");
                if let Some(s) =
                    crate::diag::nearest(other, ["read", "match", "wildcard_match", "brace_match"])
                {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.help("the types are read, match, wildcard_match and brace_match");
                }
                r.push(d);
                continue;
            }
        };
        *field = op >= 0;
        if op == 0 {
            c.read = true;
        }
    }
    g.include_check = Some(c);
}

// ---------------------------------------------------------------------------------------------
// Small readers with keepalived's rules.

/// The first argument, or keepalived's error (it ignores the line) when there is none.
fn need(r: &mut Reader<'_>, n: &Node, what: &str, keepalived_says: &str) -> Option<String> {
    match n.arg(0) {
        Some(w) => Some(w.text.to_string()),
        None => {
            let placeholder = what
                .trim_start_matches("an ")
                .trim_start_matches("a ")
                .to_uppercase()
                .replace([' ', '-'], "_");
            missing(
                r,
                n,
                keepalived_says,
                &format!("write `{} {placeholder}`", n.keyword()),
            );
            None
        }
    }
}

fn missing(r: &mut Reader<'_>, n: &Node, msg: &str, help: &str) {
    r.push(
        Diagnostic::error(Some(n.line_span()), msg.to_string())
            .help(help.to_string())
            .note(IGNORED),
    );
}

fn duplicate(r: &mut Reader<'_>, n: &Node, kw: &str) {
    r.push(
        Diagnostic::error(Some(n.span()), format!("duplicate {kw} definition"))
            .help(format!("keep one `{kw}` line: the first one counts"))
            .note(IGNORED),
    );
}

fn deprecated(r: &mut Reader<'_>, n: &Node, instead: &str, reported: bool) {
    let msg = format!("`{}` is deprecated: use `{instead}`", n.keyword());
    let d = if reported {
        Diagnostic::warning(Some(n.span()), msg)
    } else {
        Diagnostic::advice(Some(n.span()), msg)
    };
    r.push(d.help(format!("write `{instead}`; it means the same")));
}

/// Words after the first `max` arguments, which keepalived ignores silently.
fn extra(r: &mut Reader<'_>, n: &Node, max: usize) {
    if let Some(w) = n.arg(max) {
        r.push(
            Diagnostic::advice(
                Some(w.span),
                format!(
                    "`{}` takes {} argument{}: '{}' and after are ignored",
                    n.keyword(),
                    max,
                    if max == 1 { "" } else { "s" },
                    w.text
                ),
            )
            .note("keepalived ignores them without a word"),
        );
    }
}

/// A keyword without a value: sets `slot`.
fn flag(r: &mut Reader<'_>, n: &Node, slot: &mut bool) {
    *slot = true;
    extra(r, n, 0);
}

/// keepalived's `check_true_false`: absent is true; exactly true/on/yes or false/off/no.
fn truth(r: &mut Reader<'_>, n: &Node) -> Option<bool> {
    let Some(w) = n.arg(0) else {
        return Some(true);
    };
    extra(r, n, 1);
    match w.text.as_str() {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        t => {
            let lower = t.to_ascii_lowercase();
            let help = if ["true", "on", "yes", "false", "off", "no"].contains(&lower.as_str()) {
                format!("write `{lower}` in lower case: keepalived does not know '{t}'")
            } else {
                "write true/false, on/off or yes/no (or nothing, meaning true)".to_string()
            };
            r.push(
                Diagnostic::error(
                    Some(w.span),
                    format!("invalid value '{t}' for {}", n.keyword()),
                )
                .help(help)
                .note(IGNORED),
            );
            None
        }
    }
}

fn set_bool(r: &mut Reader<'_>, n: &Node, slot: &mut bool) {
    if let Some(v) = truth(r, n) {
        *slot = v;
    }
}

fn set_truth(r: &mut Reader<'_>, n: &Node, slot: &mut Option<bool>) {
    if let Some(v) = truth(r, n) {
        *slot = Some(v);
    }
}

/// A whole number in `[min, max]` read as keepalived's strtol/strtoul do. A missing value stops
/// keepalived (as [`Reader::str`] reports); a bad one is reported with `note`.
fn number(r: &mut Reader<'_>, n: &Node, i: usize, min: i64, max: i64, note: &str) -> Option<i64> {
    let text = r.str(n, i, "a number")?;
    let w = n.arg(i)?;
    let t = text.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let msg = if min >= 0 && t.starts_with('-') {
        format!("negative number '{text}'")
    } else {
        match t.parse::<i64>() {
            Ok(v) if v >= min && v <= max => return Some(v),
            Ok(_) => format!("number '{text}' outside range [{min}, {max}]"),
            Err(e)
                if matches!(
                    e.kind(),
                    std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                ) =>
            {
                format!("number '{text}' outside range [{min}, {max}]")
            }
            Err(_) => format!("invalid number '{text}'"),
        }
    };
    r.push(
        Diagnostic::error(Some(w.span), msg)
            .help(format!(
                "`{}` takes a whole number from {min} to {max}",
                n.keyword()
            ))
            .note(note.to_string()),
    );
    None
}

/// A decimal with up to `digits` decimal places, returned in units of 10^-digits, within
/// `[min, max]` of those units (keepalived's read_decimal_unsigned).
fn decimal(
    r: &mut Reader<'_>,
    n: &Node,
    i: usize,
    digits: u32,
    min: u64,
    max: u64,
    note: &str,
) -> Option<u64> {
    let text = r.str(n, i, "a number")?;
    let w = n.arg(i)?;
    let scale = 10u64.pow(digits);
    let show = |v: u64| {
        let frac = format!("{:0width$}", v % scale, width = digits as usize);
        format!("{}.{}", v / scale, frac)
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let valid = !int.is_empty() || !frac.is_empty();
    let digits_ok =
        int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit());
    let msg = if text.starts_with('-') {
        format!("negative number '{text}'")
    } else if !valid || !digits_ok {
        format!("invalid number '{text}'")
    } else if frac.len() > digits as usize {
        format!("number '{text}' has too many decimal places (at most {digits})")
    } else {
        let mut f = frac.to_string();
        while f.len() < digits as usize {
            f.push('0');
        }
        let value = int
            .parse::<u64>()
            .ok()
            .filter(|_| !int.is_empty())
            .or(if int.is_empty() { Some(0) } else { None })
            .and_then(|v| v.checked_mul(scale))
            .and_then(|v| v.checked_add(f.parse::<u64>().unwrap_or(0)));
        match value {
            Some(v) if v >= min && v <= max => return Some(v),
            _ => format!(
                "number '{text}' outside range [{}, {}]",
                show(min),
                show(max)
            ),
        }
    };
    r.push(
        Diagnostic::error(Some(w.span), msg)
            .help(format!(
                "`{}` takes a number from {} to {} with at most {digits} decimals",
                n.keyword(),
                show(min),
                show(max)
            ))
            .note(note.to_string()),
    );
    None
}

/// C's strtol with base 0: 0x.. hex, 0.. octal, else decimal.
fn parse_c_number(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// keepalived's inet_stosockaddr: the family from a ':' in the text, any "/..." or "-..." cut off.
fn ip_prefix(s: &str) -> Option<IpAddr> {
    let cut = s.find(['-', '/']).map(|i| &s[..i]).unwrap_or(s);
    if s.contains(':') {
        cut.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        cut.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

fn is_host_name(s: &str) -> bool {
    // A numeric last label is a mistyped address, not a name (no top-level domain is numeric).
    let last = s.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    !last.is_empty()
        && !last.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && !s.is_empty()
        && s.len() <= 253
        && !s.starts_with(['-', '.'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

fn mcast_group(r: &mut Reader<'_>, n: &Node, v6: bool) -> Option<IpAddr> {
    let kw = n.keyword();
    let text = r.str(n, 0, "a multicast address")?;
    let span = Reader::span_of(n, 0);
    let skip = "keepalived skips this line and keeps the default group";
    let example = if v6 { "ff02::12" } else { "224.0.0.18" };
    let Some(a) = ip_prefix(text) else {
        r.push(
            Diagnostic::error(Some(span), format!("can't parse {kw} [{text}]"))
                .help(format!("write a multicast address, e.g. `{kw} {example}`"))
                .note(skip),
        );
        return None;
    };
    if a.is_ipv6() != v6 {
        r.push(
            Diagnostic::error(
                Some(span),
                format!("{kw} [{text}] is not {}", if v6 { "IPv6" } else { "IPv4" }),
            )
            .help(format!(
                "use `{}` for this address, or write an {} group here",
                if v6 {
                    "vrrp_mcast_group4"
                } else {
                    "vrrp_mcast_group6"
                },
                if v6 { "IPv6" } else { "IPv4" }
            ))
            .note(skip),
        );
        return None;
    }
    if !a.is_multicast() {
        r.push(
            Diagnostic::error(Some(span), format!("{kw} [{text}] is not multicast"))
                .help(format!(
                    "use a multicast address ({}), e.g. {example}",
                    if v6 { "ff00::/8" } else { "224.0.0.0/4" }
                ))
                .note(skip),
        );
        return None;
    }
    if let IpAddr::V6(a6) = a
        && (a6.segments()[0] & 0xff0f) != 0xff02
    {
        r.push(
            Diagnostic::warning(
                Some(span),
                format!("{kw} [{text}] should be link-local multicast"),
            )
            .help("VRRP adverts stay on the link: use an ff02:: group, e.g. ff02::12")
            .note("keepalived uses it anyway"),
        );
    }
    extra(r, n, 1);
    Some(a)
}

fn process_name(r: &mut Reader<'_>, n: &Node) -> Option<String> {
    let name = r.string(n, 0, "a process name")?;
    extra(r, n, 1);
    if name.chars().count() > PROCESS_NAME_MAX {
        let cut: String = name.chars().take(PROCESS_NAME_MAX).collect();
        r.push(
            Diagnostic::error(
                Some(Reader::span_of(n, 0)),
                format!("process name {name} more than {PROCESS_NAME_MAX} characters: it is cut to '{cut}'"),
            )
            .help(format!("use at most {PROCESS_NAME_MAX} characters (the kernel's limit)")),
        );
        return Some(cut);
    }
    Some(name)
}

/// `*_priority`: keepalived resets the nice value to 0 when the line is wrong.
fn nice(r: &mut Reader<'_>, n: &Node, process: &str) -> i8 {
    if n.arg(0).is_none() {
        missing(
            r,
            n,
            &format!("no {process} process priority specified"),
            "write a nice value from -20 to 19",
        );
        return 0;
    }
    extra(r, n, 1);
    number(r, n, 0, -20, 19, "keepalived uses 0")
        .map(|v| v as i8)
        .unwrap_or(0)
}

fn rt_priority(r: &mut Reader<'_>, n: &Node, process: &str, s: &mut Scheduling) {
    let Some(w) = n.arg(0) else {
        missing(
            r,
            n,
            &format!("no {process} process real-time priority specified"),
            "write a priority from 1 to 99",
        );
        return;
    };
    extra(r, n, 1);
    let Some(v) = number(r, n, 0, i32::MIN as i64, i32::MAX as i64, IGNORED) else {
        return;
    };
    let clamped = v.clamp(RT_PRIORITY_MIN as i64, RT_PRIORITY_MAX as i64);
    if clamped != v {
        r.push(
            Diagnostic::error(
                Some(w.span),
                format!("{process} process real-time priority {v} outside [{RT_PRIORITY_MIN}, {RT_PRIORITY_MAX}]"),
            )
            .help("write a priority from 1 to 99")
            .note(format!("keepalived uses {clamped}")),
        );
    }
    s.rt_priority = Some(clamped as u8);
}

fn cpu_affinity(r: &mut Reader<'_>, n: &Node, process: &str, s: &mut Scheduling) {
    if n.args().is_empty() {
        missing(
            r,
            n,
            &format!("no {process} cpu_id set specified"),
            "write one or more CPU numbers",
        );
        return;
    }
    let cpus = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1) as i64;
    let mut set = Vec::new();
    for i in 0..n.args().len() {
        match number(r, n, i, 0, cpus - 1, "keepalived clears the whole CPU set") {
            Some(v) => set.push(v as u32),
            None => {
                s.cpu_affinity.clear();
                return;
            }
        }
    }
    s.cpu_affinity = set;
}

fn rlimit(r: &mut Reader<'_>, n: &Node, s: &mut Scheduling) {
    let kw = n.keyword();
    if let Some(stem) = kw.strip_suffix("rtime")
        && !kw.ends_with("rttime")
    {
        r.push(
            Diagnostic::advice(Some(n.span()), format!("keyword '{kw}' is deprecated"))
                .help(format!("write `{stem}rttime`")),
        );
    }
    if let Some(v) = number(r, n, 0, 1, u32::MAX as i64, "keepalived sets no limit") {
        // keepalived halves it later and needs a non-zero result.
        s.rlimit_rttime = (v as u32).max(2);
    }
    extra(r, n, 1);
}

fn rcv_bufs(r: &mut Reader<'_>, n: &Node, slot: &mut Option<u32>) {
    if n.arg(0).is_none() {
        missing(
            r,
            n,
            &format!("{} size missing", n.keyword()),
            "write a size in bytes, e.g. 1048576",
        );
        return;
    }
    if let Some(v) = number(r, n, 0, 0, u32::MAX as i64, IGNORED) {
        // 0 leaves the system default, as in keepalived.
        if v > 0 {
            *slot = Some(v as u32);
        }
    }
    extra(r, n, 1);
}

/// A script line: `KEYWORD CMD [USER [GROUP]]`.
fn command(r: &mut Reader<'_>, n: &Node, keepalived_says: &str) -> Option<Command> {
    let Some(w) = n.arg(0) else {
        missing(
            r,
            n,
            keepalived_says,
            &format!(
                "write `{} \"/path/to/script args\" [USER [GROUP]]`",
                n.keyword()
            ),
        );
        return None;
    };
    extra(r, n, 3);
    Some(Command {
        line: w.text.to_string(),
        user: n.arg(1).map(|w| w.text.to_string()),
        group: n.arg(2).map(|w| w.text.to_string()),
        span: w.span,
    })
}

fn fifo(r: &mut Reader<'_>, n: &Node, prefix: &str, f: &mut NotifyFifo) {
    let Some(w) = n.arg(0) else {
        missing(
            r,
            n,
            &format!("no {prefix}notify_fifo name specified"),
            "write the FIFO's path",
        );
        return;
    };
    if f.path.is_some() {
        r.push(
            Diagnostic::error(
                Some(w.span),
                format!(
                    "{prefix}notify_fifo already specified - ignoring {}",
                    w.text
                ),
            )
            .help(format!("keep one `{prefix}notify_fifo` line")),
        );
        return;
    }
    let user = n.arg(1).map(|w| w.text.to_string());
    let group = n.arg(2).map(|w| w.text.to_string());
    if let Some(u) = &user
        && let Some(bad) = unknown_account(u, group.as_deref())
    {
        r.push(
            Diagnostic::advice(
                Some(Reader::span_of(n, 1)),
                format!(
                    "{bad} does not exist: the {prefix}notify_fifo {} is ignored",
                    w.text
                ),
            )
            .help("name an existing user (and group) for the FIFO")
            .note("keepalived only logs this and goes without the FIFO"),
        );
        return;
    }
    f.path = Some(w.text.to_string());
    f.user = user;
    f.group = group;
    f.span = Some(w.span);
    extra(r, n, 3);
}

fn fifo_script(r: &mut Reader<'_>, n: &Node, prefix: &str, f: &mut NotifyFifo) {
    if f.script.is_some() {
        r.push(
            Diagnostic::error(
                Some(n.span()),
                format!("{prefix}notify_fifo_script already specified"),
            )
            .help(format!("keep one `{prefix}notify_fifo_script` line"))
            .note(IGNORED),
        );
        return;
    }
    f.script = command(r, n, &format!("no {prefix}notify_fifo_script specified"));
}

/// The first of `user`/`group` this host does not know, as "user 'x'"/"group 'y'"; `None` when
/// both exist or the lookup failed.
fn unknown_account(user: &str, group: Option<&str>) -> Option<String> {
    if account_exists(user, false) == Some(false) {
        return Some(format!("user '{user}'"));
    }
    match group {
        Some(g) if account_exists(g, true) == Some(false) => Some(format!("group '{g}'")),
        _ => None,
    }
}

/// Whether user (`group` false) or group (`group` true) `name` exists, as keepalived's
/// getpwnam/getgrnam say ([`crate::accounts`]); `None` when the lookup itself failed.
fn account_exists(name: &str, group: bool) -> Option<bool> {
    if group {
        crate::accounts::group_exists(name)
    } else {
        crate::accounts::user_exists(name)
    }
}

// ---------------------------------------------------------------------------------------------
// Validation once everything is read.

// ---------------------------------------------------------------------------------------------
// What the other models read from global_defs: each of their `*Context::from_global` is meant to
// return these, so the mapping lives next to the fields it reads.

/// The global settings the VRRP checks depend on (vrrp_strict, dynamic_interfaces, script
/// security and user, vrrp_version) and the bfd_instance names `track_bfd` may name: only those
/// reporting to the VRRP process, and every one of them even when the BFD process disabled it,
/// as keepalived's VRRP process sees them. Always `Some`: with no bfd_instance keepalived
/// reports every track_bfd as not found.
pub fn vrrp_context(cfg: &Config) -> super::vrrp::VrrpContext {
    let g = &cfg.global;
    super::vrrp::VrrpContext {
        strict: g.vrrp_strict,
        dynamic_interfaces: g.dynamic_interfaces,
        script_security: g.enable_script_security,
        script_user: g.script_user.as_ref().map(|u| u.user.clone()),
        script_user_missing: g.script_user_missing(),
        vrrp_version: g.vrrp_version,
        bfd_names: Some(cfg.bfd.vrrp_names()),
    }
}

/// The global settings the static address/route/rule checks depend on.
pub fn ip_context(cfg: &Config) -> super::ip::IpContext {
    let g = &cfg.global;
    super::ip::IpContext {
        dynamic_interfaces: g.dynamic_interfaces,
        default_interface: g.default_interface().to_string(),
    }
}

/// The global settings the LVS checks depend on.
pub fn lvs_context(cfg: &Config) -> super::lvs::LvsContext {
    super::lvs::LvsContext {
        script_security: cfg.global.enable_script_security,
        script_user_missing: cfg.global.script_user_missing(),
    }
}

/// keepalived's checks of the global settings against the rest of the configuration and the
/// host: script security of the start/stop and FIFO scripts, FIFO clashes, the sync daemon's
/// instance.
pub fn validate(cfg: &mut Config, r: &mut Reader<'_>, sys: &dyn System) {
    let g = &cfg.global;
    let security = g.enable_script_security;

    // Without a user of their own, scripts run as keepalived_script; with script security on
    // keepalived refuses to fall back to root when that user is missing.
    let default_user_missing =
        g.script_user.is_none() && account_exists(DEFAULT_SCRIPT_USER, false) == Some(false);
    // A script_user keepalived cannot set fails every script without a user of its own, with
    // or without script security (its default_user_fail); the script_user line already says so.
    let script_user_failed = g.script_user_missing();
    let mut reported_default_user = false;
    let scripts = [
        ("startup_script", g.startup_script.as_ref()),
        ("shutdown_script", g.shutdown_script.as_ref()),
        ("notify_fifo_script", g.notify_fifo.script.as_ref()),
        (
            "vrrp_notify_fifo_script",
            g.vrrp_notify_fifo.script.as_ref(),
        ),
        ("lvs_notify_fifo_script", g.lvs_notify_fifo.script.as_ref()),
    ];
    let mut usable = [true; 5];
    for (k, (kw, cmd)) in scripts.iter().enumerate() {
        let Some(cmd) = cmd else { continue };
        if let Some(u) = &cmd.user {
            if let Some(bad) = unknown_account(u, cmd.group.as_deref()) {
                r.push(
                    Diagnostic::advice(
                        Some(cmd.span),
                        format!(
                            "invalid user/group for {kw} {}: {bad} does not exist",
                            cmd.program()
                        ),
                    )
                    .help("name an existing user (and group) after the script")
                    .note("keepalived only logs this and drops the script"),
                );
                usable[k] = false;
            }
        } else if script_user_failed {
            usable[k] = false;
        } else if security && default_user_missing {
            if !reported_default_user {
                r.push(
                    Diagnostic::error(Some(cmd.span), format!("unable to set default user {DEFAULT_SCRIPT_USER} for script"))
                        .help(format!("set `script_user USER` in global_defs, create user {DEFAULT_SCRIPT_USER}, or give a user after the script"))
                        .note("keepalived drops scripts without a user"),
                );
                reported_default_user = true;
            }
            usable[k] = false;
        }
    }

    if !security {
        let exists = |c: &Command| !c.is_file_check() && sys.program_exists(&c.program());
        // The start/stop scripts are checked by the parent, whatever else is configured.
        for (k, (kw, cmd)) in scripts.iter().enumerate().take(2) {
            if let Some(c) = cmd
                && usable[k]
                && exists(c)
            {
                r.push(
                    Diagnostic::security(
                        Some(c.span),
                        format!(
                            "SECURITY VIOLATION - {kw} is executed but script_security not enabled"
                        ),
                    )
                    .help("add `enable_script_security` (and `script_user USER`) to global_defs")
                    .note("keepalived runs it as root without checking who can write it"),
                );
            }
        }
        // The FIFO scripts are checked by the VRRP process (when it has instances) and the
        // checker process (when it has virtual servers).
        let vrrp = !cfg.vrrp.instances.is_empty();
        let lvs = !cfg.lvs.virtual_servers.is_empty();
        let sides = [(vrrp || lvs), vrrp, lvs];
        for (k, (kw, cmd)) in scripts.iter().enumerate().skip(2) {
            if let Some(c) = cmd
                && usable[k]
                && sides[k - 2]
                && exists(c)
            {
                r.push(
                    Diagnostic::security(
                        Some(c.span),
                        format!(
                            "SECURITY VIOLATION - {kw} is executed but script_security not enabled"
                        ),
                    )
                    .help("add `enable_script_security` (and `script_user USER`) to global_defs")
                    .note("keepalived runs it as root without checking who can write it"),
                );
            }
        }
    }

    // FIFO clashes: keepalived keeps the global FIFO and logs.
    let same = |a: &NotifyFifo, b: &NotifyFifo| a.path.is_some() && a.path == b.path;
    let clash = |r: &mut Reader<'_>, f: &NotifyFifo, which: &str| {
        r.push(
            Diagnostic::advice(
                f.span,
                format!(
                    "notify FIFO {} is also the global notify_fifo: the {which} FIFO is ignored",
                    f.path.as_deref().unwrap_or_default()
                ),
            )
            .help("give each FIFO its own path, or use notify_fifo alone (it gets every event)"),
        );
    };
    if same(&g.notify_fifo, &g.vrrp_notify_fifo) {
        clash(r, &g.vrrp_notify_fifo, "vrrp");
    }
    if same(&g.notify_fifo, &g.lvs_notify_fifo) {
        clash(r, &g.lvs_notify_fifo, "lvs");
    } else if same(&g.lvs_notify_fifo, &g.vrrp_notify_fifo)
        && g.lvs_notify_fifo.script.is_some()
        && g.vrrp_notify_fifo.script.is_some()
    {
        r.push(
            Diagnostic::advice(
                g.lvs_notify_fifo.script.as_ref().map(|c| c.span),
                "the LVS and VRRP notify FIFOs are the same and both have a script: the LVS script is ignored",
            )
            .help("one script reads the FIFO: remove lvs_notify_fifo_script"),
        );
    }
    for f in [&g.notify_fifo, &g.vrrp_notify_fifo, &g.lvs_notify_fifo] {
        if let Some(path) = &f.path {
            fifo_path_advice(r, path, f.span);
        }
        if f.path.is_none()
            && let Some(c) = &f.script
        {
            r.push(
                Diagnostic::advice(
                    Some(c.span),
                    "a notify FIFO script without its FIFO is never run",
                )
                .help("add the matching `*notify_fifo PATH` line"),
            );
        }
    }

    if let Some(d) = &g.lvs_sync_daemon
        && let Some(inst) = &d.instance
        && !cfg.vrrp.instances.iter().any(|i| &i.name == inst)
    {
        r.push(
            Diagnostic::advice(
                Some(d.span),
                format!("unable to find vrrp instance {inst} for lvs_sync_daemon"),
            )
            .help("name a vrrp_instance defined in this configuration")
            .note("keepalived clears the lvs_sync_daemon setting when the VRRP process starts"),
        );
    }

    if !g.notification_email.is_empty() && g.smtp_server.is_none() {
        r.push(
            Diagnostic::advice(
                None,
                "notification_email is set but there is no smtp_server: no mail is sent",
            )
            .help("add `smtp_server ADDRESS` to global_defs"),
        );
    }
}

fn arg_text(n: &Node, i: usize) -> &str {
    n.arg(i).map(|w| w.text.as_str()).unwrap_or("")
}

/// What keepalived would only log when it opens a notify FIFO (it then runs without it).
fn fifo_path_advice(r: &mut Reader<'_>, path: &str, span: Option<Span>) {
    use std::os::unix::fs::FileTypeExt;
    let p = Path::new(path);
    let problem = if !p.is_absolute() {
        Some((
            format!("notify FIFO {path} is a relative path"),
            "keepalived runs from / once it is a daemon: write an absolute path",
        ))
    } else if let Ok(m) = std::fs::symlink_metadata(p) {
        (!m.file_type().is_fifo()).then(|| {
            (
                format!("{path} exists and is not a FIFO"),
                "keepalived would write its events into it (or fail to open it): name a FIFO or a free path",
            )
        })
    } else if p.parent().is_some_and(|d| !d.is_dir()) {
        Some((
            format!("the directory of notify FIFO {path} does not exist"),
            "keepalived cannot create the FIFO there: create the directory or choose another path",
        ))
    } else {
        None
    };
    if let Some((msg, help)) = problem {
        r.push(
            Diagnostic::advice(span, msg)
                .help(help)
                .note("keepalived only logs this when it starts, and runs without the FIFO"),
        );
    }
}
