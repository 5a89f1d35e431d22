#!/bin/bash
# keepalived 2.2.7 and keepalived-rs side by side in one run (issue 4, "Must show" 5).
#
#  a) client-perceived outage when the master gets SIGTERM, and when it gets SIGKILL, at
#     advert_int 1 (VRRPv2), 0.1 and 0.01 (VRRPv3); the same daemon on both routers.
#  b) CPU seconds (utime+stime of all the daemon's processes) and RSS (VmRSS sum) of master and
#     backup with 1,000 vrrp_instances over DURATION seconds at advert_int 1 (v2) and 0.1 (v3).
#
# Topology, all in namespaces created here (nothing in the root namespace), removed on exit:
#   <p>-br : bridges br0..brN (multicast snooping off)
#   <p>-r1, <p>-r2 : routers; eth0 on br0 (the client's LAN), eth1..ethN on br1..brN (250
#                    instances each, VRIDs 1..250, for the 1,000-instance runs)
#   <p>-c  : the client, eth0 on br0
# Each router runs a UDP echo responder bound to the VIP (udp.py serve); the client probes the VIP
# every PROBE_MS ms (udp.py probe) and the outage is the silence between the last reply from the
# old master and the first from the new one (kernel receive timestamps); the log also has the
# longest silence of the whole probe and the time from the kill to the new master's first reply.
# SIGKILL means: the daemon's processes are frozen (SIGSTOP) then SIGKILLed, and the node's echo
# responder is killed with them, so the dead node cannot answer; its link stays up, so a VIP the
# dead daemon leaves behind (keepalived 2.2.7 does) still answers ARP. The signal is sent right
# after one of the master's adverts (udp.py kill), so samples meet the same point of the cycle.
#
# usage: sudo bench/vrrp/run.sh
# env:  KEEPALIVED (default /usr/sbin/keepalived)
#       KEEPALIVED_RS (default <repo>/target/release/keepalived-rs)
#       REPEAT=5 (samples per row, the table shows the median), CPU_REPEAT=$REPEAT
#       DURATION=60 (CPU/RSS window, s), WARMUP=10 (s after both daemons run, before the window)
#       INSTANCES=1000, PROBE_MS=1, OUTAGE_ADVERTS="1 0.1 0.01", CPU_ADVERTS="1 0.1",
#       PARTS="outage cpu", DAEMONS="k rs", CAPTURE= (1: tcpdump ARP+VRRP at the client),
#       SMAPS= (1: save /proc/<pid>/smaps and smaps_rollup of every daemon at the end of each CPU
#       window), PERF= (1: `perf record -g` both daemons' processes over each CPU window, into
#       OUT/perf-*.data; perf's own cost inflates the CPU figures of such a run: profile only),
#       UDP_RT=20 (SCHED_FIFO priority of the measuring tools once started; 0: none),
#       SETTLE_WAIT= (s: wait that much longer before each outage sample's kill, e.g. 8 for a
#       takeover after keepalived-rs has settled and unmapped its start-up pages),
#       OUT=/tmp/vrrp-bench-<time> (raw samples, probe JSON, daemon logs, table.md)
# The defaults take about 35 minutes (outage part ~10, CPU part ~25). Results: docs/BENCHMARKS.md.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
KEEPALIVED_RS=${KEEPALIVED_RS:-$root/target/release/keepalived-rs}
REPEAT=${REPEAT:-5}
CPU_REPEAT=${CPU_REPEAT:-$REPEAT}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-10}
INSTANCES=${INSTANCES:-1000}
PROBE_MS=${PROBE_MS:-1}
OUTAGE_ADVERTS=${OUTAGE_ADVERTS:-"1 0.1 0.01"}
CPU_ADVERTS=${CPU_ADVERTS:-"1 0.1"}
PARTS=${PARTS:-"outage cpu"}
DAEMONS=${DAEMONS:-"k rs"}
SMAPS=${SMAPS:-}
OUT=${OUT:-/tmp/vrrp-bench-$(date +%Y%m%d-%H%M%S)}
# The measuring tools (responders, prober, killer) switch to SCHED_FIFO UDP_RT once started, so
# that on a busy machine the silences they see are the daemons', not their own scheduling; the
# daemons run as configured.
export UDP_RT=${UDP_RT-20}
PER_IF=250
PORT=7001
VIP=10.231.0.100

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for b in "$KEEPALIVED" "$KEEPALIVED_RS"; do
    [ -x "$b" ] || { echo "no executable $b (set KEEPALIVED / KEEPALIVED_RS)" >&2; exit 1; }
done
mkdir -p "$OUT"
SAMPLES=$OUT/samples.tsv
LOG=$OUT/bench.log
: >"$SAMPLES"
: >"$LOG"
log() { echo "$(date +%T.%N | cut -c1-12) $*" >>"$LOG"; }
say() { echo "$*" >&2; log "$*"; }

p=kvb$$
NS_BR=$p-br NS_R1=$p-r1 NS_R2=$p-r2 NS_C=$p-c
NLAN=$(((INSTANCES + PER_IF - 1) / PER_IF))
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    sleep 0.5
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    # A frozen or orphaned keepalived child is no longer in PIDS: anything left in our namespaces.
    for ns in "$NS_R1" "$NS_R2" "$NS_C"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    done
    for ns in "$NS_R1" "$NS_R2" "$NS_C" "$NS_BR"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

topology() {
    local ns k r
    for ns in "$NS_BR" "$NS_R1" "$NS_R2" "$NS_C"; do
        ip netns add "$ns" || exit 1
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    for ((k = 0; k <= NLAN; k++)); do
        ip -n "$NS_BR" link add "br$k" type bridge mcast_snooping 0 || exit 1
        ip -n "$NS_BR" link set "br$k" up
        for r in 1 2; do
            local ns_r=$p-r$r
            ip -n "$ns_r" link add "eth$k" type veth peer name "r$r-$k" netns "$NS_BR" || exit 1
            ip -n "$NS_BR" link set "r$r-$k" master "br$k" up
            ip -n "$ns_r" link set "eth$k" up
            if ((k == 0)); then
                ip -n "$ns_r" addr add "10.231.0.$r/24" dev eth0
            else
                ip -n "$ns_r" addr add "10.$((100 + k)).0.$r/16" dev "eth$k"
            fi
        done
    done
    ip -n "$NS_C" link add eth0 type veth peer name c-0 netns "$NS_BR"
    ip -n "$NS_BR" link set c-0 master br0 up
    ip -n "$NS_C" link set eth0 up
    ip -n "$NS_C" addr add 10.231.0.10/24 dev eth0
}

bin_of() { if [ "$1" = k ]; then echo "$KEEPALIVED"; else echo "$KEEPALIVED_RS"; fi; }
name_of() { if [ "$1" = k ]; then echo keepalived; else echo keepalived-rs; fi; }
version_of() { if [ "$1" = 1 ]; then echo 2; else echo 3; fi; }

# conf ROUTER STATE PRIO VERSION ADVERT N: N=1 is the outage pair on eth0, else N instances on eth1..
conf() {
    local router=$1 state=$2 prio=$3 ver=$4 adv=$5 n=$6 i k vrid
    printf 'global_defs {\n  router_id %s\n  vrrp_version %s\n}\n' "$router" "$ver"
    if [ "$n" = 1 ]; then
        printf 'vrrp_instance VI_1 {\n  state %s\n  interface eth0\n  virtual_router_id 51\n  priority %s\n  advert_int %s\n  virtual_ipaddress {\n    %s/24\n  }\n}\n' \
            "$state" "$prio" "$adv" "$VIP"
        return
    fi
    for ((i = 0; i < n; i++)); do
        k=$((i / PER_IF + 1))
        vrid=$((i % PER_IF + 1))
        printf 'vrrp_instance VI_%s {\n  state %s\n  interface eth%s\n  virtual_router_id %s\n  priority %s\n  advert_int %s\n  virtual_ipaddress {\n    10.%s.1.%s\n  }\n}\n' \
            "$i" "$state" "$k" "$vrid" "$prio" "$adv" "$((100 + k))" "$vrid"
    done
}

# start_daemon NS DAEMON TAG CONFTEXT: sets DPID (the daemon's main pid; `ip netns exec` execs it).
start_daemon() {
    local ns=$1 d=$OUT/run/$3
    rm -rf "$d"
    mkdir -p "$d"
    printf '%s' "$4" >"$d/keepalived.conf"
    ip netns exec "$ns" "$(bin_of "$2")" -n -l -G -P -f "$d/keepalived.conf" \
        -p "$d/main.pid" -r "$d/vrrp.pid" -c "$d/check.pid" -b "$d/bfd.pid" >"$d/log" 2>&1 &
    DPID=$!
    disown "$DPID" # no job notices; stop_daemon polls /proc instead of wait
    PIDS+=("$DPID")
    log "started $(name_of "$2") in $ns as $DPID ($3)"
}

# The daemon's process tree (keepalived: parent and VRRP child; keepalived-rs: one process).
tree() {
    local c
    [ -d "/proc/$1" ] || return 0
    echo "$1"
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$c"; done
}

alive() { # not gone and not a zombie
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# stop_daemon PID: SIGTERM and wait until it is gone (KILL after 15 s).
stop_daemon() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
        say "warning: $pid did not stop within 15 s of SIGTERM; killed"
        kill -KILL $(tree "$pid") 2>/dev/null
    fi
}

# clock ticks of utime+stime summed over pids
ticks() {
    local pid sum=0 t
    for pid in "$@"; do
        t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
        sum=$((sum + ${t:-0}))
    done
    echo "$sum"
}
rss_kb() {
    local pid sum=0 t
    for pid in "$@"; do
        t=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        sum=$((sum + ${t:-0}))
    done
    echo "$sum"
}
HZ=$(getconf CLK_TCK)

holds() { ip -n "$1" -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
vip_count() { ip -n "$1" -o -4 addr show 2>/dev/null | grep -c ' 10\.1[0-9][0-9]\.1\.' ; }

wait_for() { # TIMEOUT_S CMD...
    local end=$((SECONDS + $1))
    shift
    while ((SECONDS <= end)); do "$@" && return 0; sleep 0.02; done
    return 1
}
fcalc() { awk "BEGIN { printf \"%.3f\", $* }"; }

clear_vips() { # what a killed daemon may have left, so the next sample starts clean
    local ns k
    for ns in "$NS_R1" "$NS_R2"; do
        ip -n "$ns" addr del "$VIP/24" dev eth0 2>/dev/null
        for ((k = 1; k <= NLAN; k++)); do
            ip -n "$ns" -o -4 addr show dev "eth$k" | awk '{print $4}' | grep '^10\.1[0-9][0-9]\.1\.' |
                while read -r a; do ip -n "$ns" addr del "$a" dev "eth$k"; done
        done
    done
}

# One outage sample: sets GAP to the longest silence in ms, or "fail".
outage_sample() {
    local dm=$1 adv=$2 sig=$3 rep=$4 ver s1 s2 d1 d2 total pre out res gap last last_at
    ver=$(version_of "$adv")
    clear_vips
    ip -n "$NS_C" neigh flush dev eth0 2>/dev/null
    ip netns exec "$NS_R1" python3 "$here/udp.py" serve "$VIP" "$PORT" r1 >>"$LOG" 2>&1 &
    s1=$!
    ip netns exec "$NS_R2" python3 "$here/udp.py" serve "$VIP" "$PORT" r2 >>"$LOG" 2>&1 &
    s2=$!
    disown "$s1" "$s2"
    PIDS+=("$s1" "$s2")
    start_daemon "$NS_R1" "$dm" "o-$dm-$adv-$sig-$rep-r1" "$(conf r1 MASTER 150 "$ver" "$adv" 1)"
    d1=$DPID
    if ! wait_for 15 holds "$NS_R1"; then
        say "outage $(name_of "$dm") adv $adv: r1 never took the VIP"
        stop_daemon "$d1"; kill "$s1" "$s2" 2>/dev/null
        GAP=fail; return
    fi
    start_daemon "$NS_R2" "$dm" "o-$dm-$adv-$sig-$rep-r2" "$(conf r2 BACKUP 100 "$ver" "$adv" 1)"
    d2=$DPID
    sleep "$(fcalc "($adv * 4 > 1.5 ? $adv * 4 : 1.5)")"
    [ -n "${SETTLE_WAIT:-}" ] && sleep "$SETTLE_WAIT"
    if holds "$NS_R2" || ! holds "$NS_R1"; then
        say "outage $(name_of "$dm") adv $adv: not settled (r1 holds: $(holds "$NS_R1" && echo y), r2 holds: $(holds "$NS_R2" && echo y))"
    fi
    pre=0.6
    if [ "$sig" = TERM ]; then total=$(fcalc "$pre + 3 * $adv + 1"); else total=$(fcalc "$pre + 5 * $adv + 1.5"); fi
    out=$OUT/run/probe-$dm-$adv-$sig-$rep.json
    ip netns exec "$NS_C" python3 "$here/udp.py" probe "$VIP" "$PORT" "$PROBE_MS" "$total" >"$out" &
    local pr=$! cap=
    if [ -n "${CAPTURE:-}" ]; then
        ip netns exec "$NS_C" tcpdump -U -i eth0 -n -s 128 -w "$out.pcap" arp or ip proto 112 2>/dev/null &
        cap=$!
    fi
    # The kill comes right after one of the master's adverts (udp.py kill), so each sample
    # meets the same point of the advert cycle: SIGKILL then costs a whole Master_Down_Interval.
    local victims=$d1
    [ "$sig" = KILL ] && victims="$(tree "$d1" | tr '\n' ' ') $s1"
    ip netns exec "$NS_C" python3 "$here/udp.py" kill 10.231.0.1 "$pre" "$sig" $victims >"$out.kill" 2>&1
    log "SIG$sig to $(name_of "$dm") r1 ($victims): $(cat "$out.kill")"
    wait "$pr"
    [ -n "$cap" ] && { kill -INT "$cap"; wait "$cap"; }
    res=$(cat "$out")
    log "probe $(name_of "$dm") adv $adv SIG$sig #$rep: $res"
    gap=$(jq -r .switch_gap_ms <<<"$res")
    local k2a
    k2a=$(jq -rn --argjson p "$res" --argjson k "$(cat "$out.kill")" '(($p.switch_wall // 0) - ($k.kill_wall // 0)) * 1000 | . * 1000 | round / 1000' 2>/dev/null)
    last=$(jq -r .last <<<"$res")
    last_at=$(jq -r .last_at_s <<<"$res")
    # Valid only if the backup answered after the silence and kept answering to the end.
    if [ "$gap" = null ] || [ "$last" != r2 ] || [ "$(fcalc "($last_at > $total - 0.3)")" != 1.000 ]; then
        say "outage $(name_of "$dm") adv $adv SIG$sig #$rep: no steady answer from r2 after the kill: $res"
        gap=fail
    elif [ "$(jq -r .switches <<<"$res")" != 1 ]; then
        say "outage $(name_of "$dm") adv $adv SIG$sig #$rep: the VIP moved more than once (spurious failover, see the r2 log): $res"
        gap=fail
    fi
    if [ "$sig" = KILL ]; then
        # keepalived 2.2.7 leaves the VIP on a SIGKILLed master; keepalived-rs gives VIPs a
        # lifetime of max(4 advert_int, 3 s) rounded up to whole seconds. Look a bit after that.
        local kw after_s stale
        kw=$(jq -r '.kill_wall // 0' "$out.kill")
        after_s=$(fcalc "(4 * $adv > 3 ? int(4 * $adv + 0.999) : 3) + 1.5")
        sleep "$(fcalc "(($kw + $after_s - $(date +%s.%N)) > 0 ? ($kw + $after_s - $(date +%s.%N)) : 0)")"
        if holds "$NS_R1"; then stale=1; else stale=0; fi
        log "VIP on the killed master $(fcalc "$(date +%s.%N) - $kw") s after the kill: $stale"
        printf 'stale_vip\t%s\tadv=%s\tSIG%s\t%s\t%s\n' "$(name_of "$dm")" "$adv" "$sig" "$rep" "$stale" >>"$SAMPLES"
    fi
    # A backup that became master before the kill (its log says so) is a spurious failover.
    local spurious
    spurious=$(grep -c 'Entering MASTER STATE' "$OUT/run/o-$dm-$adv-$sig-$rep-r2/log")
    if [ "$spurious" -gt 1 ]; then
        say "outage $(name_of "$dm") adv $adv SIG$sig #$rep: r2 entered MASTER $spurious times (once expected)"
    fi
    printf 'spurious\t%s\tadv=%s\tSIG%s\t%s\t%s\n' "$(name_of "$dm")" "$adv" "$sig" "$rep" "$((spurious > 1 ? spurious - 1 : 0))" >>"$SAMPLES"
    stop_daemon "$d2"
    stop_daemon "$d1"
    kill "$s1" "$s2" 2>/dev/null
    printf 'outage\t%s\tadv=%s\tSIG%s\t%s\t%s\n' "$(name_of "$dm")" "$adv" "$sig" "$rep" "$gap" >>"$SAMPLES"
    printf 'kill_to_answer\t%s\tadv=%s\tSIG%s\t%s\t%s\n' "$(name_of "$dm")" "$adv" "$sig" "$rep" "${k2a:-fail}" >>"$SAMPLES"
    GAP=$gap
}

# One CPU/RSS sample with INSTANCES instances: appends to SAMPLES.
cpu_sample() {
    local dm=$1 adv=$2 rep=$3 ver d1 d2 t0 t1 c1a c2a c1b c2b p1 p2 r1 r2 v1 v2 n
    ver=$(version_of "$adv")
    n=$(name_of "$dm")
    clear_vips
    start_daemon "$NS_R1" "$dm" "c-$dm-$adv-$rep-r1" "$(conf r1 MASTER 150 "$ver" "$adv" "$INSTANCES")"
    d1=$DPID
    vip_full_r1() { [ "$(vip_count "$NS_R1")" -ge "$INSTANCES" ]; }
    if ! wait_for 120 vip_full_r1; then
        say "cpu $n adv $adv #$rep: master holds only $(vip_count "$NS_R1") of $INSTANCES VIPs after 120 s"
    fi
    start_daemon "$NS_R2" "$dm" "c-$dm-$adv-$rep-r2" "$(conf r2 BACKUP 100 "$ver" "$adv" "$INSTANCES")"
    d2=$DPID
    sleep "$WARMUP"
    p1=$(tree "$d1" | tr '\n' ' ')
    p2=$(tree "$d2" | tr '\n' ' ')
    c1a=$(ticks $p1)
    c2a=$(ticks $p2)
    local r1a r2a
    r1a=$(rss_kb $p1)
    r2a=$(rss_kb $p2)
    t0=$(date +%s.%N)
    local perfs=()
    if [ -n "${PERF:-}" ]; then
        perf record -q -F 499 -g -p "$(echo $p1 | tr ' ' ,)" -o "$OUT/perf-$dm-$adv-$rep-master.data" -- sleep "$DURATION" >/dev/null 2>&1 &
        perfs+=($!)
        perf record -q -F 499 -g -p "$(echo $p2 | tr ' ' ,)" -o "$OUT/perf-$dm-$adv-$rep-backup.data" -- sleep "$DURATION" >/dev/null 2>&1 &
        perfs+=($!)
    fi
    sleep "$DURATION"
    [ ${#perfs[@]} -gt 0 ] && wait "${perfs[@]}"
    c1b=$(ticks $p1)
    c2b=$(ticks $p2)
    t1=$(date +%s.%N)
    r1=$(rss_kb $(tree "$d1"))
    r2=$(rss_kb $(tree "$d2"))
    if [ -n "$SMAPS" ]; then # what the RSS is made of, per mapping
        local pid
        for pid in $p1; do cat "/proc/$pid/smaps" >"$OUT/smaps-$dm-$adv-$rep-master-$pid" 2>/dev/null; done
        for pid in $p2; do cat "/proc/$pid/smaps" >"$OUT/smaps-$dm-$adv-$rep-backup-$pid" 2>/dev/null; done
        for pid in $p1; do cat "/proc/$pid/smaps_rollup" >"$OUT/rollup-$dm-$adv-$rep-master-$pid" 2>/dev/null; done
        for pid in $p2; do cat "/proc/$pid/smaps_rollup" >"$OUT/rollup-$dm-$adv-$rep-backup-$pid" 2>/dev/null; done
    fi
    v1=$(vip_count "$NS_R1")
    v2=$(vip_count "$NS_R2")
    alive "$d1" || say "cpu $n adv $adv #$rep: master died (see $OUT/run/c-$dm-$adv-$rep-r1/log)"
    alive "$d2" || say "cpu $n adv $adv #$rep: backup died (see $OUT/run/c-$dm-$adv-$rep-r2/log)"
    if [ "$v1" != "$INSTANCES" ] || [ "$v2" != 0 ]; then
        say "cpu $n adv $adv #$rep: at the end the master holds $v1 VIPs, the backup $v2 (want $INSTANCES and 0)"
    fi
    local secs cpu1 cpu2
    secs=$(fcalc "$t1 - $t0")
    cpu1=$(fcalc "($c1b - $c1a) / $HZ")
    cpu2=$(fcalc "($c2b - $c2a) / $HZ")
    log "cpu $n adv $adv #$rep: window ${secs}s master pids [$p1] cpu ${cpu1}s rss ${r1a}->${r1}kB vips $v1; backup pids [$p2] cpu ${cpu2}s rss ${r2a}->${r2}kB vips $v2; load $(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'cpu_master\t%s\tadv=%s\t-\t%s\t%s\n' "$n" "$adv" "$rep" "$cpu1" >>"$SAMPLES"
    printf 'cpu_backup\t%s\tadv=%s\t-\t%s\t%s\n' "$n" "$adv" "$rep" "$cpu2" >>"$SAMPLES"
    printf 'rss_master\t%s\tadv=%s\t-\t%s\t%s\n' "$n" "$adv" "$rep" "$(fcalc "$r1 / 1024")" >>"$SAMPLES"
    printf 'rss_backup\t%s\tadv=%s\t-\t%s\t%s\n' "$n" "$adv" "$rep" "$(fcalc "$r2 / 1024")" >>"$SAMPLES"
    printf 'window\t%s\tadv=%s\t-\t%s\t%s\n' "$n" "$adv" "$rep" "$secs" >>"$SAMPLES"
    stop_daemon "$d2"
    stop_daemon "$d1"
}

# median of the samples of (kind, daemon, setting, signal); "fail" samples count as +inf.
median() {
    awk -F'\t' -v k="$1" -v d="$2" -v s="$3" -v g="$4" '
        $1 == k && $2 == d && $3 == s && $4 == g { v[n++] = ($6 == "fail" ? 1e18 : $6); f += ($6 == "fail") }
        END {
            if (n == 0) { print "-"; exit }
            for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
            if (m >= 1e17) print "fail"; else printf "%.3f%s\n", m, (f ? " (" f " failed)" : "")
        }' "$SAMPLES"
}
count() { # sum of the samples' values
    awk -F'\t' -v k="$1" -v d="$2" -v s="$3" -v g="$4" '$1 == k && $2 == d && $3 == s && $4 == g { n += $6 } END { print n + 0 }' "$SAMPLES"
}
ratio() {
    case "$1$2" in *-* | *fail*) echo "-"; return ;; esac
    awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { if (a == 0) print "-"; else printf "%.2f\n", b / a }'
}

say "output in $OUT; keepalived: $KEEPALIVED ($("$KEEPALIVED" --version 2>&1 | head -1)); keepalived-rs: $KEEPALIVED_RS"
say "machine: $(nproc) cores, $(uname -r); uptime before: $(uptime)"
topology

if [[ " $PARTS " == *" outage "* ]]; then
    for adv in $OUTAGE_ADVERTS; do
        for sig in TERM KILL; do
            for ((rep = 1; rep <= REPEAT; rep++)); do
                for dm in $DAEMONS; do # interleaved, so load changes hit both alike
                    outage_sample "$dm" "$adv" "$sig" "$rep"
                    say "outage $(name_of "$dm") advert_int $adv SIG$sig #$rep: $GAP ms"
                done
            done
        done
    done
fi
if [[ " $PARTS " == *" cpu "* ]]; then
    for adv in $CPU_ADVERTS; do
        for ((rep = 1; rep <= CPU_REPEAT; rep++)); do
            for dm in $DAEMONS; do
                cpu_sample "$dm" "$adv" "$rep"
                say "cpu $(name_of "$dm") advert_int $adv #$rep: $(grep -P "^(cpu|rss)_\w+\t$(name_of "$dm")\tadv=$adv\t-\t$rep\t" "$SAMPLES" | cut -f1,6 | tr '\t\n' '= ')"
            done
        done
    done
fi
say "uptime after: $(uptime)"

{
    echo "| measurement (median of $REPEAT; CPU/RSS of $CPU_REPEAT) | keepalived | keepalived-rs | ratio rs/k |"
    echo "|---|---|---|---|"
    for adv in $OUTAGE_ADVERTS; do
        for sig in TERM KILL; do
            a=$(median outage keepalived "adv=$adv" "SIG$sig")
            b=$(median outage keepalived-rs "adv=$adv" "SIG$sig")
            [ "$a" = - ] && continue
            echo "| outage, SIG$sig of the master, advert_int $adv (v$(version_of "$adv")), ms | $a | $b | $(ratio "$a" "$b") |"
            a=$(median kill_to_answer keepalived "adv=$adv" "SIG$sig")
            b=$(median kill_to_answer keepalived-rs "adv=$adv" "SIG$sig")
            echo "| (kill to the new master's first answer, ms) | $a | $b | $(ratio "$a" "$b") |"
            if [ "$sig" = KILL ]; then
                a=$(count stale_vip keepalived "adv=$adv" "SIG$sig")
                b=$(count stale_vip keepalived-rs "adv=$adv" "SIG$sig")
                echo "| (samples whose killed master still held the VIP $(fcalc "(4 * $adv > 3 ? int(4 * $adv + 0.999) : 3) + 1.5") s after the kill) | $a | $b | |"
            fi
            a=$(count spurious keepalived "adv=$adv" "SIG$sig")
            b=$(count spurious keepalived-rs "adv=$adv" "SIG$sig")
            [ "$a$b" != 00 ] && echo "| (spurious failovers before the kill, all samples) | $a | $b | |"
        done
    done
    for adv in $CPU_ADVERTS; do
        for what in cpu_master cpu_backup rss_master rss_backup; do
            a=$(median "$what" keepalived "adv=$adv" -)
            b=$(median "$what" keepalived-rs "adv=$adv" -)
            [ "$a" = - ] && continue
            case $what in
            cpu_*) label="CPU s of the ${what#cpu_} over ${DURATION} s" ;;
            rss_*) label="RSS MiB of the ${what#rss_}" ;;
            esac
            echo "| $label, $INSTANCES instances, advert_int $adv (v$(version_of "$adv")) | $a | $b | $(ratio "$a" "$b") |"
        done
    done
} | tee "$OUT/table.md"
echo "raw samples: $SAMPLES, log: $LOG" >&2
