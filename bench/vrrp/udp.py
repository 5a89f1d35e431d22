#!/usr/bin/env python3
"""The client's view of a VIP for bench/vrrp/run.sh.

  udp.py serve VIP PORT NAME
      Echoes every datagram sent to VIP:PORT, appending NAME. Bound to the VIP itself with
      IP_FREEBIND, so it may start before the VIP exists and its replies always come *from* the VIP.
  udp.py probe VIP PORT INTERVAL_MS TOTAL_S
      Sends a numbered datagram every INTERVAL_MS for TOTAL_S seconds and prints one JSON line:
      the longest silence between two consecutive replies (kernel receive timestamps,
      SO_TIMESTAMPNS, so the prober's own scheduling does not blur it), who answered before and
      after it, the silence at the switch to another responder, and the counts.
  udp.py kill SRC DELAY_S SIGNAL PID...
      After DELAY_S, waits for the next VRRP advert from SRC (224.0.0.18 joined on every
      interface but lo) and signals the PIDs right after it, so every
      sample kills the master at the same point of its advert cycle (the worst case: a whole
      Master_Down_Interval). SIGNAL TERM: SIGTERM to the first PID. SIGNAL KILL: SIGSTOP to all
      (none can react to another's death), then SIGKILL to all. Prints one JSON line.
"""
import os
import signal
import json
import select
import socket
import struct
import sys
import time

IP_FREEBIND = 15
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def realtime():
    """SCHED_FIFO at UDP_RT (if set) once started: python's start-up is CPU-bound for tens of ms,
    and at real-time priority it would starve the daemons under test on a 2-core machine."""
    prio = int(os.environ.get("UDP_RT", "0") or 0)
    if prio > 0:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))
        except OSError:
            pass


def serve(vip, port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    s.bind((vip, port))
    realtime()
    tag = name.encode()
    while True:
        data, peer = s.recvfrom(64)
        try:
            s.sendto(data[:8] + tag, peer)
        except OSError:
            pass


def probe(vip, port, interval_ms, total_s):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setblocking(False)
    interval = interval_ms / 1000.0
    realtime()
    start = time.monotonic()
    wall0 = time.time()
    end = start + total_s
    nxt = start
    seq = 0
    replies = []  # (kernel rx time in s since wall0, seq, name)
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now >= nxt:
            try:
                s.sendto(struct.pack("!Q", seq), (vip, port))
            except OSError:
                pass  # no route / neighbour failure during the switch: a lost probe
            seq += 1
            nxt += interval
            if nxt < now:  # we were descheduled: do not burst to catch up
                nxt = now + interval
        r, _, _ = select.select([s], [], [], max(0.0, min(nxt, end) - time.monotonic()))
        if not r:
            continue
        while True:
            try:
                data, anc, _, _ = s.recvmsg(64, 64)
            except BlockingIOError:
                break
            except OSError:
                break
            ts = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", cdata[:16])
                    ts = sec + nsec / 1e9 - wall0
            if ts is None:
                ts = time.time() - wall0
            if len(data) >= 8:
                replies.append((ts, struct.unpack("!Q", data[:8])[0], data[8:].decode(errors="replace")))
    gap, before, after, at = 0.0, None, None, None
    for a, b in zip(replies, replies[1:]):
        if b[0] - a[0] > gap:
            gap, before, after, at = b[0] - a[0], a[2], b[2], a[0]
    # The switch: the silence that ends with the first answer from another responder than the
    # first one. On a busy machine short unrelated silences (softirq delayed) can outgrow a
    # sub-10-ms switch, so this, not the longest silence, is the failover's outage.
    sw_gap, sw_wall = None, None
    for a, b in zip(replies, replies[1:]):
        if b[2] != replies[0][2]:
            sw_gap, sw_wall = b[0] - a[0], b[0] + wall0
            break
    runs = []  # who answered when: [name, first s, last s, count]
    for ts, _, name in replies:
        if runs and runs[-1][0] == name and ts - runs[-1][2] < 0.005:
            runs[-1][2], runs[-1][3] = ts, runs[-1][3] + 1
        else:
            runs.append([name, ts, ts, 1])
    switches = sum(1 for a, b in zip(replies, replies[1:]) if a[2] != b[2])
    out = {
        "switches": switches,
        "runs": [[n, round(a, 4), round(b, 4), c] for n, a, b, c in runs[:20]],
        "switch_gap_ms": round(sw_gap * 1000, 3) if sw_gap is not None else None,
        "switch_wall": round(sw_wall, 6) if sw_wall is not None else None,
        "sent": seq,
        "answered": len(replies),
        "gap_ms": round(gap * 1000, 3),
        "gap_at_s": round(at, 3) if at is not None else None,
        "before": before,
        "after": after,
        "last": replies[-1][2] if replies else None,
        "last_at_s": round(replies[-1][0], 3) if replies else None,
    }
    print(json.dumps(out), flush=True)


def kill_after_advert(src, delay, sig, pids):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    for _, ifname in socket.if_nameindex():
        if ifname == "lo":
            continue
        mreqn = struct.pack("4s4si", socket.inet_aton("224.0.0.18"), bytes(4),
                            socket.if_nametoindex(ifname))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    realtime()
    time.sleep(delay)
    s.setblocking(False)
    while True:  # what arrived during the delay is old
        try:
            s.recv(2048)
        except BlockingIOError:
            break
    s.setblocking(True)
    s.settimeout(10)
    waited = time.monotonic()
    while True:
        try:
            pkt, peer = s.recvfrom(2048)
        except socket.timeout:
            print(json.dumps({"error": "no advert from %s within 10 s" % src}), flush=True)
            return
        ihl = (pkt[0] & 0x0F) * 4
        # priority byte is the third of the VRRP header; 0 would already be a stop
        if peer[0] == src and len(pkt) > ihl + 2 and pkt[ihl + 2] != 0:
            break
    t = time.monotonic()
    wall = time.time()
    if sig == "TERM":
        os.kill(pids[0], signal.SIGTERM)
    else:
        for p in pids:
            try:
                os.kill(p, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    done = time.monotonic()
    print(json.dumps({"kill_wall": round(wall, 6), "waited_advert_ms": round((t - waited) * 1000, 3),
                      "kill_latency_us": round((done - t) * 1e6, 1)}), flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "serve":
        serve(a[1], int(a[2]), a[3])
    elif len(a) == 5 and a[0] == "probe":
        probe(a[1], int(a[2]), float(a[3]), float(a[4]))
    elif len(a) >= 5 and a[0] == "kill" and a[3] in ("TERM", "KILL"):
        kill_after_advert(a[1], float(a[2]), a[3], [int(x) for x in a[4:]])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
