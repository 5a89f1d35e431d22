//! The bodies of the reply-reader fuzz targets, shared with the corpus regression test
//! (tests/fuzz_corpus.rs). Each reader is fed bytes as a real server could send them, cut into
//! reads where the input says; none may panic, each must stay within its bound, and the SMTP,
//! DNS and UDP readers must agree with a plain model of keepalived's rule written here.
// Each target uses one of these functions.
#![allow(dead_code)]

use keepalived_check::probe::{dns, http, smtp, udp};
use keepalived_check::{ReplyPattern, StatusRange, UrlConfig};

/// The largest read `http::fetch` makes.
const HTTP_READ: usize = 16 * 1024;

/// Read sizes from a selector byte: 1..=64 bytes, or whole reads of up to `whole`.
fn reads(sel: u8, data: &[u8], whole: usize) -> Vec<&[u8]> {
    let size = if sel & 0x80 != 0 {
        whole
    } else {
        usize::from(sel & 0x3f) + 1
    };
    data.chunks(size.max(1)).collect()
}

/// HTTP_GET / SSL_GET: the streaming response reader, then every url judgement on its reply.
/// First byte: how the reply is cut into reads; second: the url's regex offsets and status range.
pub fn http(data: &[u8]) {
    let &[sel, shape, ref rest @ ..] = data else {
        return;
    };
    let mut reader = http::ResponseReader::new();
    let mut fed = 0usize;
    for chunk in reads(sel, rest, HTTP_READ) {
        fed += chunk.len();
        if reader.feed(chunk).is_err() {
            // Refused: the fetch stops reading here.
            return;
        }
    }
    let Ok(reply) = reader.finish() else { return };
    assert!((100..=599).contains(&reply.status));
    assert!(reply.header.len() <= 64 * 1024 + HTTP_READ);
    assert!(reply.body_head.len() <= 1 << 20);
    assert!(reply.body_head.len() <= reply.body_len);
    assert_eq!(reply.header.len() + reply.body_len, fed);
    assert_eq!(reply.digest.len(), 32);
    let mut url = UrlConfig::new("/");
    if shape & 1 != 0 {
        url.status_codes = vec![StatusRange {
            min: 100 + u16::from(shape >> 1),
            max: 599 - u16::from(shape >> 1),
        }];
    }
    let _ = http::judge(&url, &reply);
    url.digest = Some("d41d8cd98f00b204e9800998ecf8427e".into());
    let _ = http::judge(&url, &reply);
    url.digest = None;
    url.regex = regex::bytes::Regex::new("a+b|OK").ok();
    url.regex_no_match = shape & 2 != 0;
    url.regex_min_offset = (shape & 4 != 0).then_some(usize::from(shape));
    url.regex_max_offset = (shape & 8 != 0).then_some(usize::from(shape) * 3);
    let _ = http::judge(&url, &reply);
}

/// keepalived's rule for one SMTP reply, on the whole stream at once: lines in order; a line
/// with `LINE_MAX` bytes or more before its newline overflows the buffer; a line must start with
/// the code; a `-` after the code continues the reply.
fn smtp_model(code: u16, stream: &[u8]) -> smtp::Step {
    let mut rest = stream;
    loop {
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            return if rest.len() >= smtp::LINE_MAX {
                smtp::Step::Overflow
            } else {
                smtp::Step::More
            };
        };
        if nl >= smtp::LINE_MAX {
            return smtp::Step::Overflow;
        }
        let line = &rest[..nl];
        let want = code.to_string();
        if line.len() < 3 || &line[..3] != want.as_bytes() {
            return smtp::Step::WrongCode;
        }
        if line.get(3) != Some(&b'-') {
            return smtp::Step::Accepted;
        }
        rest = &rest[nl + 1..];
    }
}

/// SMTP_CHECK: one reply read through the fixed buffer. First byte: the wanted code (220 or
/// 250) and how the stream is cut into reads (a read fills at most the buffer's free room).
pub fn smtp(data: &[u8]) {
    let [sel, rest @ ..] = data else {
        return;
    };
    let code = if sel & 0x40 != 0 { 250 } else { 220 };
    let mut r = smtp::ReplyReader::new(code);
    let mut step = smtp::Step::More;
    let mut consumed = 0usize;
    'reads: for chunk in reads(*sel, rest, smtp::LINE_MAX) {
        let mut chunk = chunk;
        while !chunk.is_empty() {
            let room = r.room();
            assert!(!room.is_empty() && room.len() <= smtp::LINE_MAX);
            let n = room.len().min(chunk.len());
            room[..n].copy_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
            consumed += n;
            step = r.filled(n);
            if step != smtp::Step::More {
                break 'reads;
            }
        }
    }
    // The reader stops where keepalived's rule decides; what it did not read cannot matter.
    assert_eq!(step, smtp_model(code, &rest[..consumed]));
    if step == smtp::Step::More {
        assert_eq!(consumed, rest.len());
    }
}

/// DNS_CHECK: one datagram (cut at keepalived's buffer, as recv cuts it) for the query id in the
/// first two bytes.
pub fn dns(data: &[u8]) {
    let [a, b, rest @ ..] = data else {
        return;
    };
    let id = u16::from_be_bytes([*a, *b]);
    let got = &rest[..rest.len().min(dns::DNS_BUFFER_SIZE)];
    let ours = got.len() >= 12 && got[..2] == id.to_be_bytes() && got[2] & 0x80 != 0;
    match dns::judge(id, got) {
        None => assert!(!ours),
        Some(Ok(())) => assert!(ours && got[3] & 0x0f == 0),
        Some(Err(_)) => assert!(ours && got[3] & 0x0f != 0),
    }
}

/// UDP_CHECK: `require_reply` with x wildcards and the length bounds. Bytes: pattern length
/// (mod 32), the pattern as (value, mask) pairs, min and max reply length, then the reply (cut
/// at max + 1 as the check's buffer cuts it).
pub fn udp(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 32);
    if rest.len() < 2 * n + 2 {
        return;
    }
    let (pat, rest) = rest.split_at(2 * n);
    let pattern = ReplyPattern {
        bytes: pat.chunks(2).map(|p| (p[0], p[1])).collect(),
    };
    let (min, max) = (usize::from(rest[0]), usize::from(rest[1]) * 4);
    let reply = &rest[2..];
    let reply = &reply[..reply.len().min(max.saturating_add(1))];
    let model = reply.len() >= min
        && reply.len() <= max
        && pattern
            .bytes
            .iter()
            .zip(reply)
            .all(|(&(v, m), &r)| r & m == v & m);
    assert_eq!(udp::reply_matches(Some(&pattern), min, max, reply), model);
    let bounds = reply.len() >= min && reply.len() <= max;
    assert_eq!(udp::reply_matches(None, min, max, reply), bounds);
}
