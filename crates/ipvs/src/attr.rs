//! Netlink attributes (`struct nlattr`): a writer that builds them in a byte buffer, nests
//! included, and a bounded reader that never panics on any input.

/// The attribute header: `u16` length (header included), `u16` type.
const HEADER: usize = 4;
/// `NLA_TYPE_MASK`: the type without the NESTED / NET_BYTEORDER flags.
const TYPE_MASK: u16 = 0x3fff;

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Builds a sequence of attributes. Values longer than an attribute can hold (64 KiB) are
/// never produced by this crate (names are at most 16 bytes, nests a few hundred).
#[derive(Debug, Default, Clone)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer {
            buf: Vec::with_capacity(128),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub(crate) fn put(&mut self, kind: u16, value: &[u8]) {
        let len = u16::try_from(HEADER + value.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value);
        self.pad();
    }

    fn pad(&mut self) {
        let padded = align4(self.buf.len());
        self.buf.resize(padded, 0);
    }

    pub(crate) fn u8(&mut self, kind: u16, v: u8) {
        self.put(kind, &[v]);
    }

    /// Host byte order.
    pub(crate) fn u16(&mut self, kind: u16, v: u16) {
        self.put(kind, &v.to_ne_bytes());
    }

    /// Network byte order (ports).
    pub(crate) fn be16(&mut self, kind: u16, v: u16) {
        self.put(kind, &v.to_be_bytes());
    }

    /// Host byte order.
    pub(crate) fn u32(&mut self, kind: u16, v: u32) {
        self.put(kind, &v.to_ne_bytes());
    }

    /// A NUL-terminated string (`NLA_NUL_STRING`).
    pub(crate) fn string(&mut self, kind: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.put(kind, &v);
    }

    /// Opens a nest; close it with [`Writer::end`] and the returned start.
    pub(crate) fn begin(&mut self, kind: u16) -> usize {
        let start = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        start
    }

    pub(crate) fn end(&mut self, start: usize) {
        let len = u16::try_from(self.buf.len().saturating_sub(start)).unwrap_or(u16::MAX);
        if let Some(slot) = self.buf.get_mut(start..start + 2) {
            slot.copy_from_slice(&len.to_ne_bytes());
        }
    }
}

/// Why a reply could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) String);

/// Iterates over the attributes in a byte slice: `(type, value)`; a length that does not fit
/// yields one error and ends the iteration. Fewer than 4 bytes left over at the end (padding) are
/// ignored.
#[derive(Debug, Clone)]
pub(crate) struct Attrs<'a> {
    rest: &'a [u8],
}

pub(crate) fn attrs(bytes: &[u8]) -> Attrs<'_> {
    Attrs { rest: bytes }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(u16, &'a [u8]), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < HEADER {
            self.rest = &[];
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & TYPE_MASK;
        let value = match self.rest.get(HEADER..len) {
            Some(v) if len >= HEADER => v,
            _ => {
                let err = Malformed(format!(
                    "attribute {kind}: length {len} with {} bytes left",
                    self.rest.len()
                ));
                self.rest = &[];
                return Some(Err(err));
            }
        };
        self.rest = self.rest.get(align4(len)..).unwrap_or(&[]);
        Some(Ok((kind, value)))
    }
}

fn fixed<const N: usize>(kind: u16, v: &[u8]) -> Result<[u8; N], Malformed> {
    <[u8; N]>::try_from(v)
        .map_err(|_| Malformed(format!("attribute {kind}: {} bytes, expected {N}", v.len())))
}

pub(crate) fn get_u8(kind: u16, v: &[u8]) -> Result<u8, Malformed> {
    fixed::<1>(kind, v).map(|b| b[0])
}

pub(crate) fn get_u16(kind: u16, v: &[u8]) -> Result<u16, Malformed> {
    fixed(kind, v).map(u16::from_ne_bytes)
}

pub(crate) fn get_be16(kind: u16, v: &[u8]) -> Result<u16, Malformed> {
    fixed(kind, v).map(u16::from_be_bytes)
}

pub(crate) fn get_u32(kind: u16, v: &[u8]) -> Result<u32, Malformed> {
    fixed(kind, v).map(u32::from_ne_bytes)
}

pub(crate) fn get_be32(kind: u16, v: &[u8]) -> Result<u32, Malformed> {
    fixed(kind, v).map(u32::from_be_bytes)
}

pub(crate) fn get_u64(kind: u16, v: &[u8]) -> Result<u64, Malformed> {
    fixed(kind, v).map(u64::from_ne_bytes)
}

/// A NUL-terminated string: up to the first NUL (or the whole value), as UTF-8.
pub(crate) fn get_string(kind: u16, v: &[u8]) -> Result<String, Malformed> {
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    let s = v.get(..end).unwrap_or(&[]);
    std::str::from_utf8(s)
        .map(str::to_owned)
        .map_err(|_| Malformed(format!("attribute {kind}: not UTF-8")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn writes_padded_attributes_and_nests() {
        let mut w = Writer::new();
        let n = w.begin(1);
        w.u16(1, 2);
        w.string(6, "rr");
        w.end(n);
        w.u8(13, 1);
        let b = w.into_bytes();
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[20u8, 0, 1, 0][..],
            &[6, 0, 1, 0], &2u16.to_ne_bytes(), &[0, 0],
            &[7, 0, 6, 0], b"rr\0", &[0],
            &[5, 0, 13, 0, 1, 0, 0, 0],
        ].concat();
        assert_eq!(b, want);
        let got: Vec<_> = attrs(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 1);
        assert_eq!(got[1], (13, &[1u8][..]));
        let inner: Vec<_> = attrs(got[0].1).collect::<Result<_, _>>().unwrap();
        assert_eq!(inner, vec![(1, &2u16.to_ne_bytes()[..]), (6, &b"rr\0"[..])]);
    }

    #[test]
    fn truncated_and_short_lengths_are_errors() {
        // length 8 with 6 bytes present
        let b = [8u8, 0, 1, 0, 1, 2];
        let got: Vec<_> = attrs(&b).collect();
        assert_eq!(got.len(), 1);
        assert!(got[0].is_err());
        // length 2 (< header)
        let b = [2u8, 0, 1, 0, 1, 2, 3, 4];
        assert!(attrs(&b).next().unwrap().is_err());
        // zero-length value is fine; trailing 3 bytes ignored
        let b = [4u8, 0, 11, 0, 9, 9, 9];
        let got: Vec<_> = attrs(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(got, vec![(11, &[][..])]);
        // the flag bits are masked off the type
        let b = [4u8, 0, 1, 0x80];
        assert_eq!(attrs(&b).next().unwrap().unwrap().0, 1);
    }

    #[test]
    fn scalar_getters_check_length() {
        assert!(get_u32(1, &[1, 2, 3]).is_err());
        assert_eq!(get_be16(2, &[0, 80]).unwrap(), 80);
        assert_eq!(get_string(6, b"wlc\0\0").unwrap(), "wlc");
        assert_eq!(get_string(6, b"wlc").unwrap(), "wlc");
        assert!(get_string(6, &[0xff, 0]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut n = 0;
            for a in attrs(&bytes) {
                n += 1;
                if let Ok((k, v)) = a {
                    let _ = get_u8(k, v);
                    let _ = get_u16(k, v);
                    let _ = get_u32(k, v);
                    let _ = get_u64(k, v);
                    let _ = get_string(k, v);
                    for inner in attrs(v) {
                        let _ = inner;
                    }
                }
            }
            proptest::prop_assert!(n <= bytes.len() / 4 + 1);
        }
    }
}
