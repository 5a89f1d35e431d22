//! Log lines for adverts an instance rejected, worded as keepalived 2.2.7's, at a bounded rate:
//! keepalived logs every rejected packet, so a peer (or an attacker) sending bad adverts fills
//! the log; here each instance says each reason at most once per [`PERIOD`], with the number of
//! the same since the last line.

use std::collections::HashMap;
use std::mem::Discriminant;
use std::time::{Duration, Instant};

use keepalived_vrrp::packet::RxError;
use keepalived_vrrp::packet::Version;

/// At most one line per instance and reason in this period.
pub const PERIOD: Duration = Duration::from_secs(10);

/// The last line said per (instance, reason) and how many were not said since.
#[derive(Default)]
pub struct RejectLog {
    last: HashMap<(usize, Discriminant<RxError>), (Instant, u64)>,
}

impl RejectLog {
    /// The line to log now for instance `i` (named `name`, of VRRP `version`), or `None` while
    /// the same reason was said less than [`PERIOD`] ago.
    pub fn line(
        &mut self,
        now: Instant,
        i: usize,
        name: &str,
        version: Version,
        e: &RxError,
    ) -> Option<String> {
        let key = (i, std::mem::discriminant(e));
        let entry = self.last.entry(key).or_insert((now - PERIOD * 2, 0));
        if now.saturating_duration_since(entry.0) < PERIOD {
            entry.1 += 1;
            return None;
        }
        let held = std::mem::replace(entry, (now, 0)).1;
        let mut line = words(name, version, e);
        if held > 0 {
            line.push_str(&format!(" ({held} more since the last such line)"));
        }
        Some(line)
    }
}

/// keepalived's words for a rejected packet (vrrp.c), ours where it has none.
pub fn words(name: &str, version: Version, e: &RxError) -> String {
    let ours = match version {
        Version::V2 => 2,
        Version::V3 => 3,
    };
    match e {
        RxError::Ttl(t) => format!("({name}) invalid TTL/HL. Received {t} and expect 255"),
        RxError::BadPassword => format!("({name}) received an invalid passwd!"),
        RxError::Version(v) => {
            format!("({name}) wrong version. Received {v} and expect {ours}")
        }
        RxError::AuthTypeMismatch { got, expected } => {
            format!("({name}) received a {got} auth, expecting {expected}!")
        }
        RxError::Replay { got, last } => format!(
            "({name}) IPSEC-AH : sequence number {got} already processed. Packet dropped. Local({last})"
        ),
        RxError::IntervalMismatch {
            got_cs,
            expected_cs,
        } => format!(
            "({name}) advertisement interval mismatch mine={} sec rcv'd={} sec",
            expected_cs / 100,
            got_cs / 100
        ),
        RxError::Length { got, expected } => format!(
            "({name}) vrrp packet too {}, length {got} and expect {expected}",
            if got < expected { "short" } else { "long" }
        ),
        RxError::IpLength { ip, got } => {
            format!("({name}) ip_tot_len mismatch against received length. {ip} and received {got}")
        }
        RxError::InvalidType(t) => format!("({name}) Invalid packet type. {t} and expect 1"),
        RxError::AddrCount { got, expected } => {
            format!("({name}) received an unexpected ip number count {got}, expected {expected}!")
        }
        other => format!("({name}) advert rejected: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_period_then_the_count() {
        let mut log = RejectLog::default();
        let t0 = Instant::now();
        let e = RxError::BadPassword;
        assert_eq!(
            log.line(t0, 0, "VI_1", Version::V2, &e).as_deref(),
            Some("(VI_1) received an invalid passwd!")
        );
        for k in 1..=5 {
            assert!(
                log.line(t0 + Duration::from_secs(k), 0, "VI_1", Version::V2, &e)
                    .is_none()
            );
        }
        // another instance, another reason: their own lines
        assert!(log.line(t0, 1, "VI_2", Version::V2, &e).is_some());
        assert!(
            log.line(t0, 0, "VI_1", Version::V2, &RxError::Ttl(64))
                .is_some()
        );
        assert_eq!(
            log.line(t0 + PERIOD, 0, "VI_1", Version::V2, &e).as_deref(),
            Some("(VI_1) received an invalid passwd! (5 more since the last such line)")
        );
    }
}
