#!/usr/bin/env bash
# IPVS programming side by side: keepalived 2.2.7 and keepalived-rs in one VM boot (issue 10).
#
#   bench/ipvs/run.sh [ROUNDS=5]        (as root; 5-6 minutes at ROUNDS=5 under TCG on the
#                                        shared 2-core machine)
#
# env: KEEPALIVED (default /usr/sbin/keepalived), KEEPALIVED_RS (default: build the repository's
#      `cargo build --release --bin keepalived-rs`), OUT (default /tmp/ipvs-bench-<time>),
#      IPVS_VM_CACHE (default /root/.cache/ipvs-vm-nlmon: a run-in-vm cache whose image has
#      nlmon.ko; built on first use with IPVS_VM_EXTRA_MODULES=nlmon), BENCH_VS (virtual servers,
#      default 1000), BENCH_CHILD_WAIT (adds `child_wait_time N` to global_defs for both daemons).
#
# What it does: builds a VM directory (keepalived and keepalived-rs stripped, ipvsbench.c compiled
# with gcc, guest.sh), boots Debian's cloud kernel once with tools/run-in-vm (TCG, 1 vCPU) and
# runs guest.sh there, which for ROUNDS rounds runs both daemons one after the other (order
# alternating by round) on the same generated configuration, 1,000 virtual servers x 10 real
# servers (DR, rr, weight 1, no checkers but one FILE_CHECK on 10.21.0.1 of the first virtual
# server), checkers only: `DAEMON -n -l -C -f conf -p P1 -c P2 -r P3`. Per run it measures:
#   start   time from fork+exec until /proc/net/ip_vs holds all 11,003 lines (polled at
#           SCHED_IDLE, so the poller only takes CPU the daemon leaves idle), and the netlink
#           skbs the nlmon0 tap counted (rx_packets; all netlink families, both directions)
#   table   `ipvsadm -Sn | sort | md5sum`: both daemons must give the same table
#   down/up the track file written 1 then 0: time from the write until the kernel ACKed the
#           DEL_DEST/NEW_DEST (kernel timestamps of an AF_PACKET socket on nlmon0), until the
#           daemon read the file (inotify IN_ACCESS, caught by a SCHED_FIFO thread) and from
#           that read to the ACK; also the /proc/net/ip_vs poll's time, the skbs and which IPVS
#           commands were sent
#   stop    SIGTERM to the main process: time until it exited and until the table was empty
#           (or how many entries it left behind)
# then one more run of each with a capture of every netlink message on nlmon0 (ipvsbench
# capture: counts messages per skb, per phase, per IPVS command; its times are not used: the
# capture itself takes CPU). Prints a summary (median and min-max of the ROUNDS runs, ratio
# keepalived / keepalived-rs) and the capture's counts; raw output in $OUT/raw.txt.
set -euo pipefail
ROUNDS=${1:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
OUT=${OUT:-/tmp/ipvs-bench-$(date +%Y%m%d-%H%M%S)}
export IPVS_VM_CACHE=${IPVS_VM_CACHE:-/root/.cache/ipvs-vm-nlmon}
mkdir -p "$OUT"

RS_FROM="given"
if [ -z "${KEEPALIVED_RS:-}" ]; then
  (cd "$REPO" && cargo build --release --bin keepalived-rs)
  KEEPALIVED_RS=$REPO/target/release/keepalived-rs
  RS_FROM="built at $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- crates || echo ' + uncommitted changes')"
fi
if [ ! -f "$IPVS_VM_CACHE/current-cloud-amd64/base.cpio" ]; then
  IPVS_VM_EXTRA_MODULES=nlmon "$REPO/tools/run-in-vm" --prepare
fi

D=$OUT/vm
rm -rf "$D"; mkdir -p "$D"
cp "$HERE/guest.sh" "$D/"
gcc -O2 -Wall -Wextra -pthread -o "$D/ipvsbench" "$HERE/ipvsbench.c"
cp "$KEEPALIVED" "$D/keepalived"
strip -o "$D/keepalived-rs" "$KEEPALIVED_RS"
{
  echo "# $(date -u '+%F %T UTC'), keepalived-rs $KEEPALIVED_RS ($RS_FROM)"
  echo "# host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/raw.txt"
envs=()
[ -n "${BENCH_VS:-}" ] && envs+=(-e "BENCH_VS=$BENCH_VS")
[ -n "${BENCH_CHILD_WAIT:-}" ] && envs+=(-e "BENCH_CHILD_WAIT=$BENCH_CHILD_WAIT")
"$REPO/tools/run-in-vm" -t 900 ${envs[@]+"${envs[@]}"} "$D" sh guest.sh "$ROUNDS" keepalived keepalived-rs \
  2>&1 | grep -v 'Gained quorum' | tee -a "$OUT/raw.txt"
echo "# host load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/raw.txt"

python3 - "$OUT/raw.txt" <<'PY' | tee "$OUT/summary.txt"
import re, statistics, sys
runs = {}   # (daemon, round) -> {key: value}
caps = []
for line in open(sys.argv[1]):
    m = re.match(r"R daemon=(\S+) round=(\S+) (.*)", line)
    if not m:
        continue
    d, r, rest = m.groups()
    if rest.startswith("cap "):
        caps.append((d, rest[4:].strip()))
        continue
    if r == "cap":
        continue
    kv = dict(re.findall(r"(\w+)=(\S+)", rest))
    step = kv.pop("step", None)
    if rest.startswith("self: "):
        m2 = re.search(r"after (\d+) changes in ([\d.]+) ms", rest)
        kv = {"self_changes": m2.group(1), "self_apply_ms": m2.group(2)}
    run = runs.setdefault((d, r), {})
    for k, v in kv.items():
        run[f"{step}.{k}" if step else k] = v

daemons = ["keepalived", "keepalived-rs"]
metrics = [
    ("start_ms", "start: exec -> full table (ms)"),
    ("skb_settled", "start: netlink skbs (nlmon)"),
    ("self_apply_ms", "start: keepalived-rs's own 'in X ms' (table read + apply)"),
    ("down.write_to_ack_ms", "down: write -> kernel ACK of DEL_DEST (ms)"),
    ("down.write_to_read_ms", "down: write -> daemon reads the file (ms)"),
    ("down.read_to_ack_ms", "down: daemon's read -> kernel ACK (ms)"),
    ("down.change_ms", "down: write -> seen in /proc/net/ip_vs (ms)"),
    ("down.skb_settled", "down: netlink skbs"),
    ("up.write_to_ack_ms", "up: write -> kernel ACK of NEW_DEST (ms)"),
    ("up.write_to_read_ms", "up: write -> daemon reads the file (ms)"),
    ("up.read_to_ack_ms", "up: daemon's read -> kernel ACK (ms)"),
    ("up.change_ms", "up: write -> seen in /proc/net/ip_vs (ms)"),
    ("up.skb_settled", "up: netlink skbs"),
    ("down2.write_to_ack_ms", "second down: write -> kernel ACK of DEL_DEST (ms)"),
    ("down2.read_to_ack_ms", "second down: daemon's read -> kernel ACK (ms)"),
    ("up2.write_to_ack_ms", "second up: write -> kernel ACK of NEW_DEST (ms)"),
    ("up2.read_to_ack_ms", "second up: daemon's read -> kernel ACK (ms)"),
    ("exit_ms", "stop: SIGTERM -> exit (ms)"),
    ("empty_ms", "stop: SIGTERM -> empty table (ms; -1 never)"),
    ("entries_left", "stop: entries left in the table"),
    ("skb_by_exit", "stop: netlink skbs"),
]
def vals(d, k):
    out = []
    for (dd, r), run in sorted(runs.items()):
        if dd == d and k in run:
            try:
                out.append(float(run[k]))
            except ValueError:
                pass
    return out
def fmt(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
n = {d: len([1 for (dd, _) in runs if dd == d]) for d in daemons}
print(f"\n## summary: median [min - max] over {n} runs")
print("| metric | keepalived 2.2.7 | keepalived-rs | keepalived / keepalived-rs |")
print("|---|---|---|---|")
for k, name in metrics:
    row = [name]
    meds = []
    for d in daemons:
        v = vals(d, k)
        if v:
            med = statistics.median(v)
            meds.append(med)
            row.append(f"{fmt(med)} [{fmt(min(v))} - {fmt(max(v))}]")
        else:
            meds.append(None)
            row.append("-")
    if all(m is not None and m > 0 for m in meds):
        row.append(f"{meds[0] / meds[1]:.2f}")
    else:
        row.append("-")
    print("| " + " | ".join(row) + " |")
md5 = {run.get("md5") for run in runs.values() if run.get("md5")}
print(f"\ntables (ipvsadm -Sn | sort | md5sum): {'all equal' if len(md5) == 1 else 'DIFFER'}: {' '.join(sorted(md5))}")
orders = {(d, s): {run.get(f"{s}.order") for (dd, _), run in runs.items() if dd == d} for d in daemons for s in ("down", "up")}
for (d, s), o in sorted(orders.items()):
    print(f"{d} {s}: IPVS commands sent: {' | '.join(sorted(x for x in o if x))}")
print("\n## netlink capture (one extra run each; every message on nlmon0)")
for d, c in caps:
    print(f"{d}: {c}")
PY
echo "raw output and summary: $OUT"
