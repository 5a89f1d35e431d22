//! Property tests: the HTTP response reader and the UDP reply matcher take any bytes, in any
//! split, without panicking, and agree with simple oracles. PROPTEST_CASES raises the count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use keepalived_check::probe::http::{ResponseReader, judge};
use keepalived_check::probe::udp::reply_matches;
use keepalived_check::*;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn feed_split(data: &[u8], cuts: &[usize]) -> Result<probe::http::Reply, String> {
    let mut r = ResponseReader::new();
    let mut at = 0;
    for &c in cuts {
        let c = c.min(data.len());
        if c > at {
            r.feed(&data[at..c])?;
            at = c;
        }
    }
    r.feed(&data[at..])?;
    r.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn http_reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600),
                                mut cuts in proptest::collection::vec(0usize..600, 0..6)) {
        cuts.sort();
        if let Ok(reply) = feed_split(&data, &cuts) {
            let mut u = UrlConfig::new("/");
            u.regex = Some(regex::bytes::Regex::new("a+").unwrap());
            u.regex_min_offset = Some(3);
            u.regex_max_offset = Some(5);
            let _ = judge(&u, &reply);
        }
    }

    #[test]
    fn http_reader_split_does_not_change_result(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300),
                                                 junk in "[ -~]{0,40}", mut cuts in proptest::collection::vec(0usize..400, 0..6)) {
        cuts.sort();
        let mut data = format!("HTTP/1.1 {status} X\r\nX-J: {junk}\r\n\r\n").into_bytes();
        data.extend_from_slice(&body);
        let whole = feed_split(&data, &[]).unwrap();
        let split = feed_split(&data, &cuts).unwrap();
        prop_assert_eq!(&whole, &split);
        prop_assert_eq!(whole.status, status);
        prop_assert_eq!(whole.body_len, body.len());
        prop_assert_eq!(whole.digest, probe::http::hex(&<md5::Md5 as md5::Digest>::digest(&body)));
    }

    #[test]
    fn udp_matcher_never_panics_and_respects_wildcards(pattern in "[0-9a-fA-FxX ]{0,40}",
                                                       reply in proptest::collection::vec(any::<u8>(), 0..80),
                                                       min in 0usize..100, max in 0usize..300) {
        let p = parse_hex(&pattern, true);
        let ok = reply_matches(p.as_ref(), min, max, &reply);
        if reply.len() < min || reply.len() > max {
            prop_assert!(!ok);
        }
        // all-wildcard patterns accept any reply of allowed length
        let any = parse_hex(&"xx".repeat(reply.len()), true).unwrap();
        prop_assert_eq!(reply_matches(Some(&any), 0, usize::MAX, &reply), true);
        // the reply's own hex always matches it
        let own: String = reply.iter().map(|b| format!("{b:02x}")).collect();
        let own = parse_hex(&own, false).unwrap();
        prop_assert!(reply_matches(Some(&own), 0, usize::MAX, &reply));
    }
}

#[test]
fn hex_is_read_like_keepalived() {
    // "Ab12f 3 456 546443123" -> AB 12 0F 03 45 06 54 64 43 12 03
    let p = parse_hex("Ab12f 3 456 546443123", false).unwrap();
    let v: Vec<u8> = p.bytes.iter().map(|b| b.0).collect();
    assert_eq!(
        v,
        [
            0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03
        ]
    );
}
