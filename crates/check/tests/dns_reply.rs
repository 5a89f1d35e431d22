//! DNS_CHECK judges a reply by its header, as keepalived's dns_recv_thread: what is not our
//! answer is waited past, a cut or unparsable body does not matter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use keepalived_check::probe::dns::{DNS_BUFFER_SIZE, judge};

fn header(id: u16, flags: u16) -> Vec<u8> {
    let mut h = id.to_be_bytes().to_vec();
    h.extend_from_slice(&flags.to_be_bytes());
    h.extend_from_slice(&[0; 8]);
    h
}

#[test]
fn judged_by_the_header() {
    assert_eq!(DNS_BUFFER_SIZE, 768);
    assert_eq!(judge(7, &header(7, 0x8180)), Some(Ok(())));
    // REFUSED
    assert_eq!(
        judge(7, &header(7, 0x8185)),
        Some(Err("read error occurred. (rcode = 5)".into()))
    );
    // Not our answer: another id, a query, shorter than a header.
    assert_eq!(judge(7, &header(8, 0x8180)), None);
    assert_eq!(judge(7, &header(7, 0x0100)), None);
    assert_eq!(judge(7, &header(7, 0x8180)[..11]), None);
    assert_eq!(judge(7, &[]), None);
    // Claims an answer it does not carry, or is cut at the buffer: the header decides.
    let mut r = header(7, 0x8180);
    r[7] = 9;
    r.extend_from_slice(&[0xff; DNS_BUFFER_SIZE]);
    assert_eq!(judge(7, &r[..DNS_BUFFER_SIZE]), Some(Ok(())));
}
