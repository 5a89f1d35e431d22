//! The blocking client: one NETLINK_GENERIC socket, the "IPVS" family resolved once.

use std::fmt::Debug;
use std::io;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use netlink_packet_core::{
    DecodeError, Emitable, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTIPART, NLM_F_REQUEST, NetlinkMessage,
    NetlinkPayload, ParseableParametrized,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlHeader, GenlMessage};
use netlink_sys::{Socket, SocketAddr as NlAddr, protocols::NETLINK_GENERIC};
use nix::sys::socket::{setsockopt, sockopt};
use nix::sys::time::TimeVal;

use crate::attr::{self, Malformed, Writer};
use crate::error::{Error, ErrorKind};
use crate::types::*;
use crate::wire::{self, cmd};

/// How long a request waits for the kernel's next answer.
const RECV_TIMEOUT: Duration = Duration::from_secs(5);
/// The receive buffer asked for (SO_RCVBUFFORCE as root, else SO_RCVBUF capped by rmem_max).
const RCVBUF: usize = 4 << 20;
/// Largest datagram read at once (the kernel's dump skbs are at most 32 KiB + headers).
const RX_CAPACITY: usize = 128 << 10;
/// Most messages per sendmsg in [`Client::apply`].
const MAX_CHUNK: usize = 256;
/// The receive buffer an ACK takes (skb truesize, rounded up generously).
const ACK_TRUESIZE: usize = 1536;

/// One generic netlink message, as sent for IPVS and as read back from any family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raw {
    pub(crate) cmd: u8,
    pub(crate) attrs: Vec<u8>,
}

impl GenlFamily for Raw {
    fn family_name() -> &'static str {
        wire::FAMILY_NAME
    }
    fn command(&self) -> u8 {
        self.cmd
    }
    fn version(&self) -> u8 {
        wire::GENL_VERSION
    }
}

impl Emitable for Raw {
    fn buffer_len(&self) -> usize {
        self.attrs.len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        if let Some(dst) = buffer.get_mut(..self.attrs.len()) {
            dst.copy_from_slice(&self.attrs);
        }
    }
}

impl ParseableParametrized<[u8], GenlHeader> for Raw {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        Ok(Raw {
            cmd: header.cmd,
            attrs: buf.to_vec(),
        })
    }
}

/// Appends one netlink message carrying `payload` for `family` to `out`.
pub(crate) fn frame<P>(payload: P, family: u16, flags: u16, seq: u32, out: &mut Vec<u8>)
where
    P: GenlFamily + Emitable + Debug,
{
    let mut genl = GenlMessage::from_payload(payload);
    genl.set_resolved_family_id(family);
    let mut msg = NetlinkMessage::from(genl);
    msg.header.flags = flags;
    msg.header.sequence_number = seq;
    msg.finalize();
    let start = out.len();
    out.resize(start + msg.buffer_len(), 0);
    if let Some(dst) = out.get_mut(start..) {
        msg.serialize(dst);
    }
    let padded = (out.len() + 3) & !3;
    out.resize(padded, 0);
}

/// What one netlink message from the kernel says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Data {
        raw: Raw,
        multi: bool,
    },
    /// NLMSG_ERROR with 0.
    Ack,
    /// NLMSG_ERROR with a (positive) errno.
    Errno(i32),
    /// NLMSG_DONE; its code (0, or a negative errno when a dump failed).
    Done(i32),
    Other,
}

/// Splits a datagram into `(sequence, port, reply)`; a malformed message ends the datagram
/// with an error.
pub(crate) fn split(buf: &[u8]) -> Vec<Result<(u32, u32, Reply), Malformed>> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() >= 16 {
        let msg = match NetlinkMessage::<GenlMessage<Raw>>::deserialize(rest) {
            Ok(m) => m,
            Err(e) => {
                out.push(Err(Malformed(e.to_string())));
                break;
            }
        };
        let h = msg.header;
        let reply = match msg.payload {
            NetlinkPayload::InnerMessage(g) => Reply::Data {
                raw: g.payload,
                multi: h.flags & NLM_F_MULTIPART != 0,
            },
            NetlinkPayload::Error(e) => match e.code {
                None => Reply::Ack,
                Some(c) => Reply::Errno(c.get().saturating_neg()),
            },
            NetlinkPayload::Done(d) => Reply::Done(d.code),
            _ => Reply::Other,
        };
        out.push(Ok((h.sequence_number, h.port_number, reply)));
        let len = (h.length as usize + 3) & !3;
        rest = rest.get(len..).unwrap_or(&[]);
    }
    out
}

/// A client of the kernel's IPVS: one generic netlink socket. Blocking; every request waits at
/// most 5 s for each answer from the kernel.
#[derive(Debug)]
pub struct Client {
    sock: Socket,
    port: u32,
    family: u16,
    seq: u32,
    sent: u64,
    chunk: usize,
    rx: Vec<u8>,
}

impl Client {
    /// Opens the socket and resolves the "IPVS" family (running `modprobe ip_vs` once if the
    /// kernel does not know it yet), then asks GET_INFO to make sure IPVS answers.
    pub fn open() -> Result<Client, Error> {
        let setup = |e: io::Error| Error::io("open", "NETLINK_GENERIC socket", &e);
        let mut sock = Socket::new(NETLINK_GENERIC).map_err(setup)?;
        let local = sock.bind_auto().map_err(setup)?;
        sock.connect(&NlAddr::new(0, 0)).map_err(setup)?;
        let tv = TimeVal::new(RECV_TIMEOUT.as_secs() as _, 0);
        setsockopt(&sock, sockopt::ReceiveTimeout, &tv).map_err(|e| setup(e.into()))?;
        // big enough for the ACKs of a whole chunk; not fatal when refused
        if setsockopt(&sock, sockopt::RcvBufForce, &RCVBUF).is_err() {
            let _ = setsockopt(&sock, sockopt::RcvBuf, &RCVBUF);
        }
        // ACKs of failed requests without a copy of the request
        let _ = sock.set_cap_ack(true);
        let rcvbuf = sock.get_rx_buf_sz().unwrap_or(0);
        let chunk = (rcvbuf / ACK_TRUESIZE).clamp(16, MAX_CHUNK);
        let mut client = Client {
            sock,
            port: local.port_number(),
            family: 0,
            seq: 0,
            sent: 0,
            chunk,
            rx: Vec::with_capacity(RX_CAPACITY),
        };
        let mut loaded = false;
        client.family = match client.resolve() {
            Ok(id) => id,
            Err(e) if e.is_unavailable() => {
                modprobe_ip_vs();
                loaded = true;
                client.resolve()?
            }
            Err(e) => return Err(e),
        };
        match client.info() {
            Ok(_) => {}
            Err(_) if loaded => {
                // the first request right after modprobe can fail on some kernels
                std::thread::sleep(Duration::from_millis(100));
                client.info()?;
            }
            Err(e) => return Err(e),
        }
        Ok(client)
    }

    /// The generic netlink family id of "IPVS" (CTRL_CMD_GETFAMILY).
    fn resolve(&mut self) -> Result<u16, Error> {
        const COMMAND: &str = "CTRL_GETFAMILY";
        let req = GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(wire::FAMILY_NAME.to_owned())],
        };
        let replies =
            match self.transact(req, netlink_packet_generic::constants::GENL_ID_CTRL, false) {
                Ok(r) => r,
                Err(ErrorKind::Kernel(libc::ENOENT)) => {
                    return Err(Error::new(
                        COMMAND,
                        wire::FAMILY_NAME,
                        ErrorKind::Unavailable,
                    ));
                }
                Err(k) => return Err(Error::new(COMMAND, wire::FAMILY_NAME, k)),
            };
        let proto = |m: &str| Error::new(COMMAND, wire::FAMILY_NAME, ErrorKind::Protocol(m.into()));
        for raw in &replies {
            for a in attr::attrs(&raw.attrs) {
                let (k, v) = a.map_err(|m| proto(&m.0))?;
                if k == 1 {
                    // CTRL_ATTR_FAMILY_ID
                    return attr::get_u16(k, v).map_err(|m| proto(&m.0));
                }
            }
        }
        Err(proto("no CTRL_ATTR_FAMILY_ID in the answer"))
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        if self.seq == 0 {
            self.seq = 1;
        }
        self.seq
    }

    fn send(&mut self, buf: &[u8], messages: u64) -> io::Result<()> {
        let n = self.sock.send(buf, 0)?;
        if n != buf.len() {
            return Err(io::Error::other(format!(
                "short send: {n} of {} bytes",
                buf.len()
            )));
        }
        self.sent += messages;
        Ok(())
    }

    /// Reads one datagram into `self.rx`.
    fn recv(&mut self) -> io::Result<()> {
        self.rx.clear();
        self.rx.reserve(RX_CAPACITY);
        let n = self.sock.recv(&mut self.rx, libc::MSG_TRUNC)?;
        if n > self.rx.len() {
            return Err(io::Error::other(format!(
                "a {n}-byte answer did not fit {} bytes",
                self.rx.len()
            )));
        }
        Ok(())
    }

    /// Sends one request and reads its answer: the data messages up to the ACK (doit) or
    /// NLMSG_DONE (dump).
    fn transact<P>(&mut self, payload: P, family: u16, dump: bool) -> Result<Vec<Raw>, ErrorKind>
    where
        P: GenlFamily + Emitable + Debug,
    {
        let seq = self.next_seq();
        let flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK };
        let mut buf = Vec::with_capacity(256);
        frame(payload, family, flags, seq, &mut buf);
        self.send(&buf, 1).map_err(|e| io_kind(&e))?;
        let mut data = Vec::new();
        loop {
            self.recv().map_err(|e| io_kind(&e))?;
            for m in split(&self.rx) {
                let (s, port, reply) = m.map_err(|e| ErrorKind::Protocol(e.0))?;
                if s != seq || (port != 0 && port != self.port) {
                    continue; // a late answer to an earlier request that timed out
                }
                match reply {
                    Reply::Data { raw, multi } => {
                        data.push(raw);
                        if dump && !multi {
                            return Ok(data);
                        }
                    }
                    Reply::Ack => return Ok(data),
                    Reply::Errno(e) => return Err(ErrorKind::Kernel(e)),
                    Reply::Done(code) if code < 0 => {
                        return Err(ErrorKind::Kernel(code.saturating_neg()));
                    }
                    Reply::Done(_) => return Ok(data),
                    Reply::Other => {}
                }
            }
        }
    }

    /// An IPVS request; errors carry the command's name and `object`.
    fn ipvs(
        &mut self,
        command: u8,
        attrs: Vec<u8>,
        dump: bool,
        object: impl FnOnce() -> String,
    ) -> Result<Vec<Raw>, Error> {
        let raw = Raw {
            cmd: command,
            attrs,
        };
        self.transact(raw, self.family, dump)
            .map_err(|k| Error::new(cmd::name(command), object(), k))
    }

    fn ipvs_ack(
        &mut self,
        command: u8,
        attrs: Vec<u8>,
        object: impl FnOnce() -> String,
    ) -> Result<(), Error> {
        self.ipvs(command, attrs, false, object).map(|_| ())
    }

    /// GET_INFO: the IPVS version and the connection table size.
    pub fn info(&mut self) -> Result<Info, Error> {
        let replies = self.ipvs(cmd::GET_INFO, Vec::new(), false, String::new)?;
        let raw = first(&replies, cmd::GET_INFO, "")?;
        wire::reply_info(&raw.attrs).map_err(|m| protocol(cmd::GET_INFO, "", m))
    }

    /// GET_CONFIG: the TCP, TCP FIN and UDP connection timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts, Error> {
        let replies = self.ipvs(cmd::GET_CONFIG, Vec::new(), false, String::new)?;
        let raw = first(&replies, cmd::GET_CONFIG, "")?;
        wire::reply_timeouts(&raw.attrs).map_err(|m| protocol(cmd::GET_CONFIG, "", m))
    }

    /// SET_CONFIG: a 0 leaves that timeout unchanged.
    pub fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Error> {
        let mut w = Writer::new();
        wire::timeouts_attrs(&mut w, t);
        self.ipvs_ack(cmd::SET_CONFIG, w.into_bytes(), || {
            format!("tcp {} tcpfin {} udp {}", t.tcp, t.tcp_fin, t.udp)
        })
    }

    /// Every service (GET_SERVICE dump), in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<ServiceEntry>, Error> {
        let replies = self.ipvs(cmd::GET_SERVICE, Vec::new(), true, String::new)?;
        replies
            .iter()
            .map(|r| wire::reply_service(&r.attrs).map_err(|m| protocol(cmd::GET_SERVICE, "", m)))
            .collect()
    }

    /// One service (GET_SERVICE doit); [`Error::is_no_service`] when it does not exist.
    pub fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, Error> {
        let mut w = Writer::new();
        wire::service_key_nest(&mut w, key);
        let replies = self.ipvs(cmd::GET_SERVICE, w.into_bytes(), false, || key.to_string())?;
        let object = key.to_string();
        let raw = first(&replies, cmd::GET_SERVICE, &object)?;
        wire::reply_service(&raw.attrs).map_err(|m| protocol(cmd::GET_SERVICE, &object, m))
    }

    /// The destinations of a service (GET_DEST dump); empty when the service does not exist.
    pub fn dests(&mut self, key: &ServiceKey) -> Result<Vec<DestEntry>, Error> {
        let mut w = Writer::new();
        wire::service_key_nest(&mut w, key);
        let replies = self.ipvs(cmd::GET_DEST, w.into_bytes(), true, || key.to_string())?;
        let family = key.family();
        replies
            .iter()
            .map(|r| {
                wire::reply_dest(&r.attrs, family)
                    .map_err(|m| protocol(cmd::GET_DEST, &key.to_string(), m))
            })
            .collect()
    }

    pub fn add_service(&mut self, s: &Service) -> Result<(), Error> {
        self.one(&Op::AddService(s.clone()))
    }

    pub fn edit_service(&mut self, s: &Service) -> Result<(), Error> {
        self.one(&Op::EditService(s.clone()))
    }

    pub fn del_service(&mut self, key: &ServiceKey) -> Result<(), Error> {
        self.one(&Op::DelService(*key))
    }

    pub fn add_dest(&mut self, key: &ServiceKey, d: &Dest) -> Result<(), Error> {
        self.one(&Op::AddDest(*key, *d))
    }

    pub fn edit_dest(&mut self, key: &ServiceKey, d: &Dest) -> Result<(), Error> {
        self.one(&Op::EditDest(*key, *d))
    }

    pub fn del_dest(&mut self, key: &ServiceKey, addr: SocketAddr) -> Result<(), Error> {
        self.one(&Op::DelDest(*key, addr))
    }

    fn one(&mut self, op: &Op) -> Result<(), Error> {
        let (command, attrs) = encode_op(op);
        self.ipvs_ack(command, attrs, || op_object(op))
    }

    /// NEW_DAEMON: starts a connection sync daemon.
    pub fn start_daemon(&mut self, d: &SyncDaemon) -> Result<(), Error> {
        let mut w = Writer::new();
        wire::daemon_nest(&mut w, d);
        self.ipvs_ack(cmd::NEW_DAEMON, w.into_bytes(), || {
            wire::daemon_object(d.state, d.sync_id, &d.ifname)
        })
    }

    /// DEL_DAEMON: stops the daemon of that role; [`Error::is_no_service`] (ESRCH) when none runs.
    pub fn stop_daemon(&mut self, state: SyncState, sync_id: u32) -> Result<(), Error> {
        let mut w = Writer::new();
        wire::daemon_key_nest(&mut w, state, sync_id);
        self.ipvs_ack(cmd::DEL_DAEMON, w.into_bytes(), || {
            wire::daemon_object(state, sync_id, "")
        })
    }

    /// The running sync daemons (GET_DAEMON dump), with the kernel's values for the defaults.
    pub fn daemons(&mut self) -> Result<Vec<SyncDaemon>, Error> {
        let replies = self.ipvs(cmd::GET_DAEMON, Vec::new(), true, String::new)?;
        replies
            .iter()
            .map(|r| wire::reply_daemon(&r.attrs).map_err(|m| protocol(cmd::GET_DAEMON, "", m)))
            .collect()
    }

    /// FLUSH: removes every service.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.ipvs_ack(cmd::FLUSH, Vec::new(), String::new)
    }

    /// ZERO: resets the counters of one service, or of all when `None`.
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), Error> {
        let mut w = Writer::new();
        if let Some(k) = key {
            wire::service_key_nest(&mut w, k);
        }
        self.ipvs_ack(cmd::ZERO, w.into_bytes(), || {
            key.map(ToString::to_string).unwrap_or_default()
        })
    }

    /// Many changes pipelined: up to 256 netlink messages per sendmsg, each with NLM_F_ACK and
    /// its own sequence number; one result per op, in order. A failed op does not stop the
    /// others (the kernel handles each message on its own). When the socket fails or times out
    /// mid-chunk, the ops still without an answer get that I/O error: their outcome is unknown
    /// (re-read the table).
    pub fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), Error>> {
        let mut results = Vec::with_capacity(ops.len());
        for chunk in ops.chunks(self.chunk.max(1)) {
            self.apply_chunk(chunk, &mut results);
        }
        results
    }

    fn apply_chunk(&mut self, ops: &[Op], results: &mut Vec<Result<(), Error>>) {
        let mut buf = Vec::with_capacity(ops.len() * 160);
        let mut commands = Vec::with_capacity(ops.len());
        let first = self.seq.wrapping_add(1);
        for op in ops {
            let (command, attrs) = encode_op(op);
            let seq = self.next_seq();
            frame(
                Raw {
                    cmd: command,
                    attrs,
                },
                self.family,
                NLM_F_REQUEST | NLM_F_ACK,
                seq,
                &mut buf,
            );
            commands.push(command);
        }
        let mut got: Vec<Option<Result<(), ErrorKind>>> = vec![None; ops.len()];
        let fail_all = |kind: ErrorKind, got: &mut Vec<Option<Result<(), ErrorKind>>>| {
            for g in got.iter_mut().filter(|g| g.is_none()) {
                *g = Some(Err(kind.clone()));
            }
        };
        if let Err(e) = self.send(&buf, ops.len() as u64) {
            fail_all(io_kind(&e), &mut got);
        }
        let mut pending = got.iter().filter(|g| g.is_none()).count();
        while pending > 0 {
            if let Err(e) = self.recv() {
                fail_all(io_kind(&e), &mut got);
                break;
            }
            for m in split(&self.rx) {
                let (s, port, reply) = match m {
                    Ok(m) => m,
                    Err(e) => {
                        // the rest of this datagram is lost; the missing ACKs will time out
                        let _ = e;
                        continue;
                    }
                };
                if port != 0 && port != self.port {
                    continue;
                }
                let i = s.wrapping_sub(first) as usize;
                let Some(slot) = got.get_mut(i) else { continue };
                let outcome = match reply {
                    Reply::Ack => Ok(()),
                    Reply::Errno(e) => Err(ErrorKind::Kernel(e)),
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(outcome);
                    pending -= 1;
                }
            }
        }
        for ((op, command), g) in ops.iter().zip(commands).zip(got) {
            results.push(match g {
                Some(Ok(())) => Ok(()),
                Some(Err(k)) => Err(Error::new(cmd::name(command), op_object(op), k)),
                None => Err(Error::new(
                    cmd::name(command),
                    op_object(op),
                    ErrorKind::Protocol("no acknowledgement".into()),
                )),
            });
        }
    }

    /// Netlink messages sent since [`Client::open`] (family lookup and GET_INFO included).
    pub fn messages_sent(&self) -> u64 {
        self.sent
    }

    /// The generic netlink family id the kernel gave "IPVS".
    pub fn family_id(&self) -> u16 {
        self.family
    }
}

/// The command and attributes of one change.
pub(crate) fn encode_op(op: &Op) -> (u8, Vec<u8>) {
    let mut w = Writer::new();
    let command = match op {
        Op::AddService(s) => {
            wire::service_nest(&mut w, s);
            cmd::NEW_SERVICE
        }
        Op::EditService(s) => {
            wire::service_nest(&mut w, s);
            cmd::SET_SERVICE
        }
        Op::DelService(k) => {
            wire::service_key_nest(&mut w, k);
            cmd::DEL_SERVICE
        }
        Op::AddDest(k, d) => {
            wire::service_key_nest(&mut w, k);
            wire::dest_nest(&mut w, d);
            cmd::NEW_DEST
        }
        Op::EditDest(k, d) => {
            wire::service_key_nest(&mut w, k);
            wire::dest_nest(&mut w, d);
            cmd::SET_DEST
        }
        Op::DelDest(k, a) => {
            wire::service_key_nest(&mut w, k);
            wire::dest_key_nest(&mut w, *a);
            cmd::DEL_DEST
        }
    };
    (command, w.into_bytes())
}

fn op_object(op: &Op) -> String {
    match op {
        Op::AddService(s) | Op::EditService(s) => s.key.to_string(),
        Op::DelService(k) => k.to_string(),
        Op::AddDest(k, d) | Op::EditDest(k, d) => wire::dest_object(k, d.addr),
        Op::DelDest(k, a) => wire::dest_object(k, *a),
    }
}

fn first<'a>(replies: &'a [Raw], command: u8, object: &str) -> Result<&'a Raw, Error> {
    replies.first().ok_or_else(|| {
        Error::new(
            cmd::name(command),
            object,
            ErrorKind::Protocol("no answer before the acknowledgement".into()),
        )
    })
}

fn protocol(command: u8, object: &str, m: Malformed) -> Error {
    Error::new(cmd::name(command), object, ErrorKind::Protocol(m.0))
}

fn io_kind(e: &io::Error) -> ErrorKind {
    ErrorKind::Io {
        kind: e.kind(),
        errno: e.raw_os_error(),
        message: e.to_string(),
    }
}

/// `modprobe ip_vs`, its failure ignored (the second lookup tells).
fn modprobe_ip_vs() {
    let _ = Command::new("modprobe")
        .arg("ip_vs")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(all(test, target_endian = "little"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn nlmsg(kind: u16, flags: u16, seq: u32, port: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(16 + payload.len() as u32).to_le_bytes());
        v.extend_from_slice(&kind.to_le_bytes());
        v.extend_from_slice(&flags.to_le_bytes());
        v.extend_from_slice(&seq.to_le_bytes());
        v.extend_from_slice(&port.to_le_bytes());
        v.extend_from_slice(payload);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn frames_a_del_service_request() {
        let key = ServiceKey::Fwmark {
            family: Family::V4,
            mark: 5,
        };
        let (command, attrs) = encode_op(&Op::DelService(key));
        assert_eq!(command, cmd::DEL_SERVICE);
        let mut buf = Vec::new();
        frame(
            Raw {
                cmd: command,
                attrs,
            },
            0x20,
            NLM_F_REQUEST | NLM_F_ACK,
            7,
            &mut buf,
        );
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            40, 0, 0, 0,  0x20, 0,  5, 0,  7, 0, 0, 0,  0, 0, 0, 0, // nlmsghdr
            3, 1, 0, 0,                                              // genl: DEL_SERVICE, v1
            20, 0, 1, 0,                                             // SERVICE nest
            6, 0, 1, 0, 2, 0, 0, 0,                                  //   AF = AF_INET
            8, 0, 5, 0, 5, 0, 0, 0,                                  //   FWMARK = 5
        ];
        assert_eq!(buf, want);
        // a second message goes right after the first (pipelining)
        frame(
            Raw {
                cmd: cmd::FLUSH,
                attrs: Vec::new(),
            },
            0x20,
            NLM_F_REQUEST | NLM_F_ACK,
            8,
            &mut buf,
        );
        assert_eq!(buf.len(), 40 + 20);
        assert_eq!(&buf[40..44], &[20, 0, 0, 0]);
        assert_eq!(&buf[56..60], &[17, 1, 0, 0]);
    }

    #[test]
    fn frames_the_family_lookup() {
        let req = GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName("IPVS".into())],
        };
        let mut buf = Vec::new();
        frame(req, 0x10, NLM_F_REQUEST | NLM_F_ACK, 1, &mut buf);
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            32, 0, 0, 0,  0x10, 0,  5, 0,  1, 0, 0, 0,  0, 0, 0, 0,
            3, 2, 0, 0,                      // CTRL_CMD_GETFAMILY, version 2
            9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0,
        ];
        assert_eq!(buf, want);
    }

    #[test]
    fn splits_a_datagram() {
        let svc = [4u8, 0, 99, 0]; // an empty attribute from the future
        let mut dgram = Vec::new();
        dgram.extend(nlmsg(
            0x20,
            NLM_F_MULTIPART,
            9,
            77,
            &[&[1u8, 1, 0, 0][..], &svc].concat(),
        ));
        dgram.extend(nlmsg(3, NLM_F_MULTIPART, 9, 77, &0i32.to_le_bytes())); // DONE
        dgram.extend(nlmsg(
            2,
            0,
            10,
            77,
            &[&0i32.to_le_bytes()[..], &[0; 16]].concat(),
        )); // ACK
        dgram.extend(nlmsg(
            2,
            0x100,
            11,
            77,
            &[&(-3i32).to_le_bytes()[..], &[0; 16]].concat(),
        )); // ESRCH, capped
        dgram.extend(nlmsg(3, 2, 12, 77, &(-1i32).to_le_bytes())); // a failed dump
        let got = split(&dgram);
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            got,
            vec![
                (
                    9,
                    77,
                    Reply::Data {
                        raw: Raw {
                            cmd: 1,
                            attrs: svc.to_vec()
                        },
                        multi: true
                    }
                ),
                (9, 77, Reply::Done(0)),
                (10, 77, Reply::Ack),
                (11, 77, Reply::Errno(3)),
                (12, 77, Reply::Done(-1)),
            ]
        );
        // a length past the end, a length below the header, an error without its code
        let mut bad = nlmsg(0x20, 0, 1, 0, &[1, 1, 0, 0]);
        bad[0] = 200;
        assert!(split(&bad)[0].is_err());
        let mut bad = nlmsg(0x20, 0, 1, 0, &[1, 1, 0, 0]);
        bad[0] = 8;
        assert!(split(&bad)[0].is_err());
        assert!(split(&nlmsg(2, 0, 1, 0, &[0, 0]))[0].is_err());
        // a genl message without its header
        assert!(split(&nlmsg(0x20, 0, 1, 0, &[1, 1]))[0].is_err());
        assert!(split(&[1, 2, 3]).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn split_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            for m in split(&bytes).into_iter().flatten() {
                if let (_, _, Reply::Data { raw, .. }) = m {
                    let _ = wire::reply_service(&raw.attrs);
                    let _ = wire::reply_dest(&raw.attrs, Family::V4);
                }
            }
        }

        #[test]
        fn split_never_panics_on_plausible_headers(
            len in 0u32..64, kind in 0u16..40, payload in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        ) {
            let mut m = nlmsg(kind, 0, 1, 0, &payload);
            m[..4].copy_from_slice(&len.to_le_bytes());
            let _ = split(&m);
        }
    }
}

#[cfg(test)]
mod send_check {
    /// The caller moves the client to its checker thread.
    #[test]
    fn client_is_send() {
        fn send<T: Send>() {}
        send::<super::Client>();
        send::<crate::Error>();
    }
}
