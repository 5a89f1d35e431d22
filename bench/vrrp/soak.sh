#!/bin/bash
# Spurious failovers under load (issue 4, "Sub-second failover that holds"): keepalived 2.2.7 and
# keepalived-rs pairs side by side at VRRPv3 advert_int 0.01 and 0.1 for SOAK seconds while one
# core is kept busy, counting every state change after the pairs settled.
#
# Four pairs run at once, each in namespaces of its own (a bridge namespace and two routers;
# nothing in the root namespace; all removed on exit): keepalived at 0.01, keepalived-rs at 0.01,
# keepalived at 0.1, keepalived-rs at 0.1. Master priority 150 (state MASTER), backup 100 (state
# BACKUP), one instance, one VIP. A busy loop is pinned to the last CPU (HOG_CPU) for the whole
# window (HOGS=0: none), so the daemons share the machine with it (and with each other).
# A spurious failover is any "Entering MASTER STATE" of the backup or any "Entering BACKUP
# STATE" of the master after SETTLE seconds; the daemons' logs show each.
#
# usage: sudo bench/vrrp/soak.sh
# env:  KEEPALIVED (default /usr/sbin/keepalived), KEEPALIVED_RS (default target/release/keepalived-rs)
#       SOAK=600 (s), SETTLE=5 (s), ADVERTS="0.01 0.1", DAEMONS="k rs", HOGS=1, HOG_CPU=<last cpu>,
#       OUT=/tmp/vrrp-soak-<time>
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
KEEPALIVED_RS=${KEEPALIVED_RS:-$root/target/release/keepalived-rs}
SOAK=${SOAK:-600}
SETTLE=${SETTLE:-5}
ADVERTS=${ADVERTS:-"0.01 0.1"}
DAEMONS=${DAEMONS:-"k rs"}
HOGS=${HOGS:-1}
HOG_CPU=${HOG_CPU:-$(($(nproc) - 1))}
OUT=${OUT:-/tmp/vrrp-soak-$(date +%Y%m%d-%H%M%S)}

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for b in "$KEEPALIVED" "$KEEPALIVED_RS"; do
    [ -x "$b" ] || { echo "no executable $b (set KEEPALIVED / KEEPALIVED_RS)" >&2; exit 1; }
done
mkdir -p "$OUT"

p=kvs$$
NAMESPACES=()
PIDS=()
HOG_PIDS=()

cleanup() {
    local pid ns
    for pid in "${HOG_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    sleep 1
    for ns in "${NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    done
    sleep 0.2
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin_of() { if [ "$1" = k ]; then echo "$KEEPALIVED"; else echo "$KEEPALIVED_RS"; fi; }
name_of() { if [ "$1" = k ]; then echo keepalived; else echo keepalived-rs; fi; }

# pair TAG: a bridge namespace and two routers on it (10.232.0.1, .2; VIP .100).
pair() {
    local tag=$1 r ns
    for ns in "$p-$tag-br" "$p-$tag-r1" "$p-$tag-r2"; do
        ip netns add "$ns" || exit 1
        NAMESPACES+=("$ns")
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    ip -n "$p-$tag-br" link add br0 type bridge mcast_snooping 0
    ip -n "$p-$tag-br" link set br0 up
    for r in 1 2; do
        ip -n "$p-$tag-r$r" link add eth0 type veth peer name "r$r" netns "$p-$tag-br" || exit 1
        ip -n "$p-$tag-br" link set "r$r" master br0 up
        ip -n "$p-$tag-r$r" link set eth0 up
        ip -n "$p-$tag-r$r" addr add "10.232.0.$r/24" dev eth0
    done
}

conf() { # ROUTER STATE PRIO ADVERT
    printf 'global_defs {\n  router_id %s\n  vrrp_version 3\n}\n' "$1"
    printf 'vrrp_instance VI_1 {\n  state %s\n  interface eth0\n  virtual_router_id 51\n  priority %s\n  advert_int %s\n  virtual_ipaddress {\n    10.232.0.100/24\n  }\n}\n' \
        "$2" "$3" "$4"
}

start() { # TAG ROUTER DAEMON STATE PRIO ADVERT
    local d=$OUT/$1-$2
    mkdir -p "$d"
    conf "$2" "$4" "$5" "$6" >"$d/keepalived.conf"
    ip netns exec "$p-$1-$2" "$(bin_of "$3")" -n -l -G -P -f "$d/keepalived.conf" \
        -p "$d/main.pid" -r "$d/vrrp.pid" -c "$d/check.pid" -b "$d/bfd.pid" >"$d/log" 2>&1 &
    PIDS+=($!)
    disown $!
}

tags=()
for adv in $ADVERTS; do
    for dm in $DAEMONS; do
        tag=$dm-${adv/./}
        pair "$tag"
        start "$tag" r1 "$dm" MASTER 150 "$adv"
        start "$tag" r2 "$dm" BACKUP 100 "$adv"
        tags+=("$tag:$dm:$adv")
    done
done

sleep "$SETTLE"
# What each log held when the window opened: later lines are the window's.
declare -A base
for t in "${tags[@]}"; do
    tag=${t%%:*}
    for r in r1 r2; do base[$tag-$r]=$(wc -l <"$OUT/$tag-$r/log"); done
done
for ((h = 0; h < HOGS; h++)); do
    taskset -c "$HOG_CPU" sh -c 'while :; do :; done' &
    HOG_PIDS+=($!)
    disown $!
done
start_time=$(date -u +%FT%TZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "soak: ${#tags[@]} pairs, $SOAK s, $HOGS busy loop(s) on CPU $HOG_CPU, from $start_time; logs in $OUT" >&2
sleep "$SOAK"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
for pid in "${HOG_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
HOG_PIDS=()

{
    echo "Soak of $SOAK s from $start_time, $HOGS busy loop(s) pinned to CPU $HOG_CPU, load average $load_start at the start, $load_end at the end ($(nproc) CPUs)."
    echo
    echo "| daemon | advert_int | master left MASTER | backup entered MASTER | master holds the VIP at the end |"
    echo "|---|---|---|---|---|"
    for t in "${tags[@]}"; do
        IFS=: read -r tag dm adv <<<"$t"
        m=$(tail -n +"$((base[$tag-r1] + 1))" "$OUT/$tag-r1/log" | grep -c 'Entering BACKUP STATE\|Entering FAULT STATE')
        b=$(tail -n +"$((base[$tag-r2] + 1))" "$OUT/$tag-r2/log" | grep -c 'Entering MASTER STATE')
        if ip -n "$p-$tag-r1" -o addr show dev eth0 | grep -q ' 10.232.0.100/'; then vip=yes; else vip=no; fi
        echo "| $(name_of "$dm") | $adv | $m | $b | $vip |"
    done
} | tee "$OUT/table.md"
