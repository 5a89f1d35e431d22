#!/bin/sh
# Health checker benchmark (issue 5): 10,000 TCP_CHECK real servers on 127.10.x.y listeners
# (served by a child process) plus 20 HTTP_GET against 4 local python HTTP servers, delay_loop 1 s.
# Prints CPU seconds per minute (this process only, user and kernel), RSS, and lateness of checks
# against their schedule; then the kernel floor: the same connects done blocking from one thread,
# closed with a RST as TCP_CHECK does, and with a FIN as keepalived does.
# Usage: crates/check/benches/check_bench.sh [N=10000] [SECONDS=60] [HTTP_RS=20]
# WORKERS_LIST (default "0 2 1"): 0 is a current-thread runtime (the daemon's), n > 0 a
# multi-thread runtime with n workers.
set -eu
N=${1:-10000}; SECS=${2:-60}; HTTP=${3:-20}
cargo build --release -q -p keepalived-check --example check_bench
BIN=$(dirname "$0")/../../../target/release/examples/check_bench
for w in ${WORKERS_LIST:-0 2 1}; do
    echo "== WORKERS=$w, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    WORKERS=$w "$BIN" "$N" "$SECS" "$HTTP"
done
for close in rst fin; do
    echo "== kernel floor (blocking connect+close, no runtime), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    FLOOR_CLOSE=$close "$BIN" floor "$N" "$SECS"
done
