#!/bin/bash
# Parses and validates the same generated configuration with the real `keepalived -t`, with
# `keepalived-rs -t` (both whole processes, started fresh for every run: the fair comparison)
# and with keepalived-conf's load() in one process (crates/conf/examples/load_time.rs, release
# build), all inside one network namespace holding the interfaces the file names (keepalived -t
# checks they exist). Prints the median of RUNS wall-clock times for each, at N and 10*N
# instances (the scaling).
# usage: side-by-side.sh [N (default 1000)] [RUNS (default 5)]    needs root and keepalived.
# KEEPALIVED_RS=path uses that keepalived-rs binary instead of building target/release's.
set -euo pipefail
n=${1:-1000}
runs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }

work=$(mktemp -d /tmp/kconf-side.XXXXXX)
ns=kconf-side-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

python3 "$here/gen.py" "$n" "$work/n1.conf" 2>/dev/null
ifs=$(python3 "$here/gen.py" "$((n * 10))" "$work/n10.conf" 2>&1 >/dev/null)

ip netns add "$ns"
ip -n "$ns" link set lo up
for ((i = 0; i < ifs; i += 2)); do
    if ! ip -n "$ns" link add "eth$i" type dummy 2>/dev/null; then
        ip -n "$ns" link add "eth$i" type veth peer name "eth$((i + 1))"
    else
        ip -n "$ns" link add "eth$((i + 1))" type dummy
    fi
done
for ((i = 0; i < ifs; i++)); do ip -n "$ns" link set "eth$i" up; done

(cd "$root" && cargo build -q --release -p keepalived-conf --example load_time)
ours_bin=$root/target/release/examples/load_time
if [ -z "${KEEPALIVED_RS:-}" ]; then
    (cd "$root" && cargo build -q --release --bin keepalived-rs)
fi
rs_bin=${KEEPALIVED_RS:-$root/target/release/keepalived-rs}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# keepalived -t and keepalived-rs -t on FILE, each a whole process started fresh, alternating
# run by run (so both see the same load from the rest of the machine); prints the two medians.
# The loop runs inside the namespace (one `ip netns exec` for all runs) and takes times from
# bash's $EPOCHREALTIME: the wrapper's set-up (~2 ms) and a `date` process per timestamp
# (~1 ms) are the harness's costs, not the programs', and used to be counted in every sample.
processes_ms() {
    local f=$1
    cat >"$work/time.sh" <<'INNER'
set -u
k=$1 r=$2 f=$3 runs=$4 out=$5
: >"$out.k"
: >"$out.r"
one() {
    local t0 t1 rc
    t0=$EPOCHREALTIME
    "$1" -t -f "$f" >/dev/null 2>&1
    rc=$?
    t1=$EPOCHREALTIME
    [ "$rc" = 0 ] || echo "$1 -t exit $rc on $f" >&2
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
for ((i = 0; i < runs; i++)); do
    one "$k" >>"$out.k"
    one "$r" >>"$out.r"
done
INNER
    ip netns exec "$ns" bash "$work/time.sh" "$(command -v keepalived)" "$rs_bin" "$f" "$runs" "$work/p"
    echo "$(median <"$work/p.k") $(median <"$work/p.r")"
}

ours_ms() {
    # One process, RUNS loads: the median excludes process start-up, which is ~1 ms for us.
    # $2: --any-host (no host lookups at all).
    ip netns exec "$ns" "$ours_bin" "$1" "$runs" ${2:-} | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p'
}

ours_line() { ip netns exec "$ns" "$ours_bin" "$1" 1; }

read -r k1 r1 < <(processes_ms "$work/n1.conf")
o1=$(ours_ms "$work/n1.conf")
read -r k10 r10 < <(processes_ms "$work/n10.conf")
o10=$(ours_ms "$work/n10.conf")
a1=$(ours_ms "$work/n1.conf" --any-host)
a10=$(ours_ms "$work/n10.conf" --any-host)

printf 'generated: N=%d (%d vrrp_instances, %d real_servers, %s bytes) and 10N (%s bytes), %d interfaces\n' \
    "$n" "$n" "$((n * 10))" "$(stat -c %s "$work/n1.conf")" "$(stat -c %s "$work/n10.conf")" "$ifs"
printf 'ours on N: %s\n' "$(ours_line "$work/n1.conf")"
printf '%-28s %12s %12s %10s\n' "median of $runs (ms)" "N=$n" "N=$((n * 10))" "10N/N"
printf '%-28s %12s %12s %10s\n' "keepalived -t" "$k1" "$k10" "$(ratio "$k10" "$k1")"
printf '%-28s %12s %12s %10s\n' "keepalived-rs -t (process)" "$r1" "$r10" "$(ratio "$r10" "$r1")"
printf '%-28s %12s %12s\n' "speed-up" "$(ratio "$k1" "$r1")x" "$(ratio "$k10" "$r10")x"
printf '%-28s %12s %12s %10s\n' "keepalived-conf load()" "$o1" "$o10" "$(ratio "$o10" "$o1")"
printf '%-28s %12s %12s\n' "speed-up" "$(ratio "$k1" "$o1")x" "$(ratio "$k10" "$o10")x"
printf '%-28s %12s %12s %10s\n' "load(), AnyHost (no lookups)" "$a1" "$a10" "$(ratio "$a10" "$a1")"
printf '%-28s %12s %12s\n' "speed-up" "$(ratio "$k1" "$a1")x" "$(ratio "$k10" "$a10")x"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
