#!/bin/sh
# Guest side of bench/ipvs/run.sh (read its header): runs under tools/run-in-vm (busybox sh,
# Debian's cloud kernel with IPVS and nlmon) in /extra, which holds this script, ipvsbench (the
# timer and netlink counter, ipvsbench.c), keepalived (2.2.7) and keepalived-rs.
#
#   sh guest.sh ROUNDS DAEMON_A DAEMON_B
#
# ROUNDS rounds, each one run of both daemons (A first in odd rounds, B first in even ones),
# then one more run of each with the netlink capture on (its times are printed but not used).
# A run: empty table; start the daemon checkers-only on the same generated configuration
# (1,000 virtual servers x 10 real servers, none with a checker but 10.21.0.1 of the first,
# whose FILE_CHECK follows a track_file holding 0); time until /proc/net/ip_vs holds all 11,003
# lines; the table's md5 (ipvsadm -Sn | sort); FILE_CHECK down (the file gets 1) and up again
# (0), each timed until 10.21.0.1 left/returned under 10.20.0.1:80; SIGTERM, timed until the
# daemon exited and the table is empty. Netlink: the nlmon0 tap's skb counter around each step.
# Output: "R ..." lines (ipvsbench's, prefixed with the daemon and round) for run.sh; anything
# else is commentary.
set -u
ROUNDS=${1:-5}
shift
X=/extra
T=/tmp/ipvsbench
VS_N=${BENCH_VS:-1000} RS_N=10
LINES=$((3 + VS_N + VS_N * RS_N))
VS0=0A140001:0050     # 10.20.0.1:80, the first virtual server
RS0=0A150001:0050     # 10.21.0.1:80, its FILE_CHECK real server
ipvsadm=/usr/sbin/ipvsadm
mkdir -p $T

modprobe nlmon || { echo "no nlmon module (build the cache with IPVS_VM_EXTRA_MODULES=nlmon)"; exit 1; }
/usr/bin/ip link add nlmon0 type nlmon
/usr/bin/ip link set nlmon0 up

# the configuration: VS 10.20.H.L:80 (i = 0..999: H = i / 250, L = i % 250 + 1), each with real
# servers 10.21.x.y:80 (unique: x = i / 25, y = (i % 25) * 10 + j + 1, j = 0..9), DR, rr, weight 1
awk -v n=$VS_N -v m=$RS_N -v t=$T -v cw="${BENCH_CHILD_WAIT:-}" 'BEGIN {
  print "global_defs {\n    router_id bench"
  if (cw != "") print "    child_wait_time " cw
  print "}"
  print "track_file tf {\n    file " t "/track\n}"
  for (i = 0; i < n; i++) {
    printf "virtual_server 10.20.%d.%d 80 {\n    delay_loop 5\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n", int(i / 250), i % 250 + 1
    for (j = 0; j < m; j++) {
      printf "    real_server 10.21.%d.%d 80 {\n        weight 1\n", int(i / 25), (i % 25) * 10 + j + 1
      if (i == 0 && j == 0) print "        FILE_CHECK {\n            track_file tf\n            weight 0\n        }"
      print "    }"
    }
    print "}"
  }
}' >$T/bench.conf
echo "config: $(wc -l <$T/bench.conf) lines, $VS_N virtual servers x $RS_N real servers, table $LINES lines"

alive() {   # is a process named $1 running (zombies do not count)?
  for p in $(pidof "$1"); do
    read -r st <"/proc/$p/stat" 2>/dev/null || continue
    st=${st##*) }
    [ "${st%% *}" != Z ] && return 0
  done
  return 1
}

run() {   # DAEMON ROUND [capture]
  d=$1 r=$2 cap=${3:-}
  P="R daemon=$d round=$r"
  $ipvsadm -C
  rm -f $T/*.pid
  echo 0 >$T/track
  phase() { echo "$d-$1" >/tmp/ipvsbench.phase; kill -USR1 $CAP; }
  if [ -n "$cap" ]; then
    $X/ipvsbench capture >$T/cap.out &
    CAP=$!
    while ! grep -q ready $T/cap.out 2>/dev/null; do sleep 0.1; done
    phase before   # the ipvsadm -C above
  fi
  out=$($X/ipvsbench start $LINES $T/$d.log $X/$d -n -l -C -f $T/bench.conf \
    -p $T/main.pid -c $T/check.pid -r $T/vrrp.pid)
  echo "$P ${out#R }"
  pid=$(echo "$out" | sed -n 's/.* pid=\([0-9]*\).*/\1/p')
  [ -n "$cap" ] && phase start
  $ipvsadm -Sn | sort >$T/table
  sum=$(md5sum <$T/table)
  echo "$P md5=${sum%% *} ipvsadm_lines=$(wc -l <$T/table)"
  [ -n "$cap" ] && phase ipvsadm
  out=$($X/ipvsbench change $T/track 1 $VS0 $RS0 absent)
  echo "$P step=down ${out#R }"
  [ -n "$cap" ] && phase down
  out=$($X/ipvsbench change $T/track 0 $VS0 $RS0 present)
  echo "$P step=up ${out#R }"
  [ -n "$cap" ] && phase up
  # the same change a second time: what the first one costs for being the first
  out=$($X/ipvsbench change $T/track 1 $VS0 $RS0 absent)
  echo "$P step=down2 ${out#R }"
  out=$($X/ipvsbench change $T/track 0 $VS0 $RS0 present)
  echo "$P step=up2 ${out#R }"
  out=$($X/ipvsbench stop $pid)
  echo "$P ${out#R }"
  if [ -n "$cap" ]; then
    sleep 1
    phase stop
    kill -TERM $CAP
    wait $CAP
    sed "s/^R cap /$P cap /" $T/cap.out
  fi
  # keepalived-rs's own count of the start's changes
  l=$(grep -o 'IPVS: [0-9]* services in place after [0-9]* changes in [0-9.]* ms' $T/$d.log)
  [ -n "$l" ] && echo "$P self: $l"
  # every process of the daemon gone before the next run (keepalived's checker child too)
  w=0
  while alive $d && [ $w -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
  alive $d && echo "--- $d round $r: still running 10 s after its exit: $(pidof $d)"
  if grep -qi 'error\|fail' $T/$d.log; then
    echo "--- $d round $r: log lines with error/fail:"
    grep -i 'error\|fail' $T/$d.log | head -5
  fi
}

i=1
while [ $i -le $ROUNDS ]; do
  if [ $((i % 2)) = 1 ]; then run "$1" $i; run "$2" $i; else run "$2" $i; run "$1" $i; fi
  i=$((i + 1))
done
run "$1" cap capture
run "$2" cap capture
echo "--- $1 log (last run, head):"; head -20 $T/$1.log
echo "--- $2 log (last run, head):"; head -20 $T/$2.log
