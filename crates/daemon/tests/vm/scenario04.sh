#!/bin/sh
# Guest side of crates/daemon/tests/scenario04_vm.rs: shared scenario 04 (LVS-DR) end to end and
# the IPVS connection sync daemon, under tools/run-in-vm (busybox sh, Debian's cloud kernel with
# IPVS). /extra holds this script, the daemons (`keepalived`, the host's /usr/sbin/keepalived
# 2.2.7, and `keepalived-rs`), director1.conf and director2.conf (the scenario's, unchanged),
# director1-sync.conf and director2-sync.conf (the same with `lvs_sync_daemon eth0 VI_1`), and
# llc.ko, stp.ko and bridge.ko of the guest's kernel (the image has no bridge module).
#
#   sh scenario04.sh RUN...     RUN = KIND:D1:D2, KIND lvs or sync, D1 and D2 the daemons (file
#                               names in /extra) on director1 and director2; one after another,
#                               or all at once with PARALLEL=1
#
# Each run has a LAN of its own, namespaces r<N>-<host> (so no IPVS connection, persistence
# template or neighbour entry outlives a run): a bridge in r<N>-sw; director1 (172.16.100.7),
# director2 (.8), rs1 (.9), rs2 (.10), client1..client4 (.11-.14), each with a veth `eth0` into
# the bridge. The real servers have the VIP 172.16.100.22 on lo, arp_ignore=1 and
# arp_announce=2, and serve HTTP on port 80 with busybox httpd (a page saying rs1 or rs2); each
# director runs the sorry server, a busybox httpd on port 80 saying "sorry" (all addresses: IPVS
# hands a packet for the VIP to a local sorry server as it is, to VIP:80, so a socket bound to
# 127.0.0.1 only would answer with a RST). Each director namespace has its own IPVS table and runs
# one daemon: `D -n -l -D -f directorN.conf -p/-r/-c` pid files in the run's directory.
#
# lvs run: start both daemons, wait for director1's VIP and both tables; stop rs1's httpd, wait
# until it leaves both tables; start it, wait for it; stop both, wait for the sorry server alone;
# start rs2, wait until the sorry server leaves; start rs1, wait for it; then four clients request
# the VIP in a loop while director1's daemon gets SIGTERM (director2 takes over) and is started
# again (it preempts back); then SIGTERM to both. After each step both directors' tables
# (`ipvsadm -Ln` and `-Sn`) and each client's answers to three requests.
# sync run: the -sync configurations, director2 started once director1 is master; client1 opens one TCP connection to VIP:80 (busybox nc fed
# line by line; in this run the real servers' port 80 is a busybox `nc -ll -e` server: an HTTP GET,
# the health check's, gets a page, any other first line starts a session that echoes every line
# with the server's name); wait until director2's `ipvsadm -Lnc` shows the connection
# ESTABLISHED (learnt from director1's master sync daemon), SIGTERM director1's daemon, wait for
# director2's VIP, and the same connection keeps being answered.
#
# Requests are `timeout 1 wget -q -O-` in the failover loop, `timeout 3 ...` in the steps (the
# guest's busybox-static 1.35 wget segfaults with -T).
#
# Output, parsed by the test (every wait is bounded; a timeout fails the test there):
#   ### RUN <kind> <d1> <d2> / ### STEP <name> / ### TABLE <director> vip=<yes|no> (-Ln) /
#   ### SAVE <director> (-Sn) / ### CONNS <director> (-Lnc) / ### DAEMONS <director> (--daemon) /
#   ### PROBE <step> <client> <answer>... / ### WAITED <what> <ok|timeout> <ms> /
#   ### LOOP <client> <phase> ok=<n> fail=<n> <answer>:<n>... (the failover loop; phases: before,
#   takeover (SIGTERM to director2's VIP), backup (then until the restart), failback (restart
#   to director1's VIP), after) / ### EVENT <name> <ms since the loop started> /
#   ### SESSION <conn> (the connection, client side) / ### ECHO <phase> sent=<n> answered=<n>
#   nc=<alive|exited> / ### EXIT <director> <status> / ### ELAPSED <ms> / ### LOG <director> (its
#   console log) / ### END
set -u
trap '' PIPE   # a write to a session whose nc is gone fails; it does not end the script
X=/extra
VIP=172.16.100.22
ipvsadm=/usr/sbin/ipvsadm
ip() { /usr/bin/ip "$@"; }   # busybox sh would run its own ip applet
now_ms() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}0"; }
# The run's namespace of a host: N is the run's prefix.
nsx() { ns=$1; shift; /usr/bin/ip netns exec "$N$ns" "$@"; }
# In a namespace, in the background, keeping nothing of ours open (the VM's output ends when its
# last writer closes); a simple command, so that $! is the program's pid (ip netns exec execs it).
bgx() { ns=$1; shift; /usr/bin/ip netns exec "$N$ns" "$@" </dev/null >/dev/null 2>&1 & }

modprobe veth   # before the runs: concurrent first uses of a module not loaded yet can fail
if ! modprobe bridge 2>/dev/null; then
  for m in llc stp bridge; do insmod $X/$m.ko || { echo "insmod $m failed" >&2; exit 1; }; done
fi

# The sync run's real server: an HTTP GET gets a page, anything else is an echo session.
cat >$X/rs.sh <<'EOF'
#!/bin/sh
cr=$(printf '\r')
IFS= read -r first || exit 0
case $first in
GET\ *)
  while IFS= read -r l && [ -n "${l%$cr}" ]; do :; done
  printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n%s\n' "$NAME"
  exit 0 ;;
esac
echo "$NAME $first"
while IFS= read -r l; do echo "$NAME $l"; done
EOF
# A client's request loop (the failover): "<ms> <answer|FAIL>" per request until $1 exists.
cat >$X/loop.sh <<'EOF'
#!/bin/sh
while [ ! -e $1 ]; do
  read -r up _ </proc/uptime; t="${up%.*}${up#*.}0"
  a=$(timeout 1 wget -q -O- http://172.16.100.22/ 2>/dev/null) || a=FAIL
  echo "$t ${a:-EMPTY}"
  sleep 0.2
done
EOF
chmod 755 $X/rs.sh $X/loop.sh

CLIENTS="client1 client2 client3 client4"

# --- a run's LAN
host() {   # name, last byte of the address
  ip netns add $N$1
  ip link add eth0 netns $N$1 address 02:00:ac:10:64:$(printf %02x $2) type veth \
    peer name p-$1 netns ${N}sw
  nsx sw /usr/bin/ip link set p-$1 master br0 up
  nsx $1 /usr/bin/ip link set lo up
  nsx $1 /usr/bin/ip link set eth0 up
  nsx $1 /usr/bin/ip addr add 172.16.100.$2/24 dev eth0
  nsx $1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}
lan() {
  ip netns add ${N}sw
  nsx sw /usr/bin/ip link add br0 type bridge
  nsx sw /usr/bin/ip link set br0 type bridge mcast_snooping 0
  nsx sw /usr/bin/ip link set br0 up
  host director1 7
  host director2 8
  host rs1 9
  host rs2 10
  n=11
  for c in $CLIENTS; do host $c $n; n=$((n + 1)); done
  for r in rs1 rs2; do
    nsx $r /usr/bin/ip addr add $VIP/32 dev lo
    for k in all eth0; do
      nsx $r sysctl -qw net.ipv4.conf.$k.arp_ignore=1 net.ipv4.conf.$k.arp_announce=2
    done
    mkdir -p $T/www-$r
    echo $r >$T/www-$r/index.html
  done
  SORRY=
  for d in director1 director2; do
    mkdir -p $T/www-$d
    echo sorry >$T/www-$d/index.html
    bgx $d httpd -f -p 80 -h $T/www-$d
    SORRY="$SORRY $!"
  done
}

HTTPD_rs1= HTTPD_rs2= NC_rs1= NC_rs2=
web_up() { bgx $1 httpd -f -p 80 -h $T/www-$1; eval "HTTPD_$1=\$!"; listening $1; }
web_down() { eval "p=\$HTTPD_$1"; kill $p; wait $p 2>/dev/null; eval "HTTPD_$1="; }
listening() {   # until $1 listens on port 80
  local i=0
  while ! nsx $1 ss -Hltn 'sport = :80' | grep -q LISTEN && [ $i -lt 100 ]; do
    sleep 0.05; i=$((i + 1))
  done
}

# --- the daemons
PID_director1= PID_director2=
start() {   # director, daemon, configuration
  P=$T/$1
  mkdir -p $P
  /usr/bin/ip netns exec $N$1 $X/$2 -n -l -D -f $X/$3 -p $P/main.pid -r $P/vrrp.pid \
    -c $P/check.pid </dev/null >>$P/log 2>&1 &
  eval "PID_$1=\$!"
}
reap() {   # director: its daemon's exit after a SIGTERM, SIGKILL after 20 s (a daemon that
           # does not stop fails the run, it does not hang the VM)
  local p i=0
  eval "p=\$PID_$1"
  while kill -0 $p 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 $p 2>/dev/null; then
    kill -KILL $p
    wait $p
    echo "### EXIT $1 still-running-20s-after-SIGTERM"
  else
    wait $p
    echo "### EXIT $1 $?"
  fi
  eval "PID_$1="
}
stop() {   # director: SIGTERM, wait for the exit
  eval "p=\$PID_$1"
  [ -n "$p" ] || return 0
  kill -TERM $p 2>/dev/null
  reap $1
}

# --- what the steps look at
has_vip() { nsx $1 /usr/bin/ip -4 -o addr show dev eth0 | grep -q " $VIP/"; }
vip_of() { if has_vip $1; then echo yes; else echo no; fi; }
rules() { nsx $1 $ipvsadm -Sn 2>/dev/null | sort; }
table_is() {   # director, the real servers expected in its table ("-a" lines' addresses, sorted)
  got=$(rules $1 | awk '$1 == "-a" { print $5 }' | sort | tr '\n' ' ')
  [ "$got" = "$2" ] && rules $1 | grep -q "^-A -t $VIP:80 -s rr -p 50"
}
both_are() { table_is director1 "$1" && table_is director2 "$1"; }
wait_for() {   # what, shell condition, limit in seconds
  local w0 st end
  w0=$(now_ms) st=timeout
  end=$((w0 + $3 * 1000))
  while [ "$(now_ms)" -lt $end ]; do
    if eval "$2"; then st=ok; break; fi
    sleep 0.2
  done
  echo "### WAITED $1 $st $(($(now_ms) - w0))"
}
tables() {
  for d in director1 director2; do
    echo "### TABLE $d vip=$(vip_of $d)"
    nsx $d $ipvsadm -Ln 2>&1
    echo "### SAVE $d"
    nsx $d $ipvsadm -Sn 2>&1
  done
}
conns() {
  for d in director1 director2; do
    echo "### CONNS $d"
    nsx $d $ipvsadm -Lnc 2>&1
  done
}
probe() {   # step: three requests from each client (3 s each: what answers, not how fast)
  local c i a out
  for c in $CLIENTS; do
    out=
    for i in 1 2 3; do
      a=$(nsx $c timeout 3 wget -q -O- http://$VIP/ 2>/dev/null) || a=FAIL
      out="$out ${a:-EMPTY}"
    done
    echo "### PROBE $1 $c$out"
  done
}
step() { echo "### STEP $1"; tables; probe $1; }

# --- the failover under a client loop; phases cut by the events' times
failover() {   # d1's daemon
  rm -f $T/stop
  L0=$(now_ms)
  LOOPS=
  for c in $CLIENTS; do
    /usr/bin/ip netns exec $N$c sh $X/loop.sh $T/stop >$T/loop-$c </dev/null 2>/dev/null &
    LOOPS="$LOOPS $!"
  done
  sleep 3
  E_term=$(now_ms)
  kill -TERM $PID_director1
  wait_for "director2 holds the VIP" "has_vip director2" 20
  E_takeover=$(now_ms)
  reap director1
  sleep 4
  echo "### STEP after-failover"
  tables
  E_restart=$(now_ms)
  start director1 $1 director1.conf
  wait_for "director1 holds the VIP again" "has_vip director1 && ! has_vip director2" 40
  E_failback=$(now_ms)
  sleep 4
  : >$T/stop
  wait $LOOPS
  echo "### EVENT sigterm $((E_term - L0))"
  echo "### EVENT takeover $((E_takeover - L0))"
  echo "### EVENT restart $((E_restart - L0))"
  echo "### EVENT failback $((E_failback - L0))"
  for c in $CLIENTS; do
    awk -v t1=$E_term -v t2=$E_takeover -v t3=$E_restart -v t4=$E_failback -v c=$c '
      { p = $1 < t1 ? "before" : $1 < t2 ? "takeover" : $1 < t3 ? "backup" : $1 < t4 ? "failback" : "after"
        n[p]++; if ($2 == "FAIL") f[p]++; a[p, $2]++ }
      END { split("before takeover backup failback after", ps, " ")
        for (i = 1; i <= 5; i++) { p = ps[i]; s = ""
          for (k in a) { split(k, kk, SUBSEP); if (kk[1] == p) s = s " " kk[2] ":" a[k] }
          printf "### LOOP %s %s ok=%d fail=%d%s\n", c, p, n[p] - f[p], f[p], s } }' $T/loop-$c
  done
  echo "### STEP after-failback"
  tables
}

run_lvs() {   # d1 d2
  web_up rs1
  web_up rs2
  start director1 $1 director1.conf
  start director2 $2 director2.conf
  all="172.16.100.10:80 172.16.100.9:80 "
  wait_for "director1 master, both tables" "has_vip director1 && both_are '$all'" 60
  step start
  web_down rs1
  wait_for "rs1 out of both tables" "both_are '172.16.100.10:80 '" 40
  step rs1-down
  web_up rs1
  wait_for "rs1 back in both tables" "both_are '$all'" 40
  step rs1-back
  web_down rs1
  web_down rs2
  wait_for "the sorry server alone in both tables" "both_are '127.0.0.1:80 '" 40
  step both-down
  web_up rs2
  wait_for "rs2 back, the sorry server out" "both_are '172.16.100.10:80 '" 40
  step rs2-back
  web_up rs1
  wait_for "rs1 back too" "both_are '$all'" 40
  step both-back
  failover $1
  stop director1
  stop director2
  echo "### STEP stopped"
  tables
  web_down rs1
  web_down rs2
}

run_sync() { session "$1" "$2" -sync; }
run_nosync() { session "$1" "$2" ""; }   # the control: the scenario's configurations, no sync
session() {   # d1 d2 configuration suffix
  conf=$3
  for r in rs1 rs2; do
    bgx $r env NAME=$r nc -ll -p 80 -e $X/rs.sh
    eval "NC_$r=\$!"
    listening $r
  done
  # director2 joins a running master: started together, both directors' master-down timers end
  # within milliseconds (skew 0.609 s and 0.613 s), both are master for a moment, and once
  # keepalived 2.2.7's director2, with its sync daemon, hung in the step back to backup (VIP
  # kept, no sync daemon, SIGTERM ignored). The lvs runs start them together.
  start director1 $1 director1$conf.conf
  wait_for "director1 master" "has_vip director1" 60
  start director2 $2 director2$conf.conf
  all="172.16.100.10:80 172.16.100.9:80 "
  wait_for "director2 backup, both tables" "! has_vip director2 && both_are '$all'" 60
  echo "### STEP sync-start"
  tables
  for d in director1 director2; do
    echo "### DAEMONS $d"
    nsx $d $ipvsadm -Ln --daemon 2>&1
  done
  mkfifo $T/c.in
  /usr/bin/ip netns exec ${N}client1 nc $VIP 80 <$T/c.in >$T/c.out 2>/dev/null &
  NC_client=$!
  exec 3>$T/c.in
  sent=0
  send() { sent=$((sent + 1)); echo "line $sent" 2>/dev/null >&3; }
  answered() { grep -c ' line ' $T/c.out 2>/dev/null || echo 0; }
  echo_state() {
    if kill -0 $NC_client 2>/dev/null; then a=alive; else a=exited; fi
    echo "### ECHO $1 sent=$sent answered=$(answered) nc=$a"
  }
  for i in 1 2 3 4 5; do send; sleep 0.2; done
  wait_for "the session's first answers" "[ \$(answered) -ge $sent ]" 10
  conn=$(nsx client1 ss -Htn state established "( dport = :80 )" | awk '{ print $3; exit }')
  echo "### SESSION $conn"
  if [ -n "$conf" ]; then
    wait_for "director2 learnt the connection" \
      "nsx director2 $ipvsadm -Lnc | grep -q 'ESTABLISHED *$conn '" 20
  else
    sleep 2   # what a sync daemon would have needed
  fi
  echo "### STEP synced"
  conns
  echo_state before
  kill -TERM $PID_director1
  wait_for "director2 holds the VIP" "has_vip director2" 20
  reap director1
  for i in 1 2 3 4 5; do send; sleep 0.2; done
  wait_for "the session's answers after the failover" \
    "[ \$(answered) -ge $sent ] || ! kill -0 $NC_client 2>/dev/null" 15
  echo_state after
  echo "### STEP after-failover"
  conns
  for d in director1 director2; do
    echo "### DAEMONS $d"
    nsx $d $ipvsadm -Ln --daemon 2>&1
  done
  echo "### ANSWERS"
  cat $T/c.out
  exec 3>&-
  kill $NC_client 2>/dev/null
  wait $NC_client 2>/dev/null
  stop director2
  kill $NC_rs1 $NC_rs2
  wait $NC_rs1 $NC_rs2 2>/dev/null
}

one_run() {   # number, KIND:D1:D2
  N=r$1- T=/tmp/s4/run$1
  mkdir -p $T
  kind=${2%%:*} rest=${2#*:}
  d1=${rest%%:*} d2=${rest#*:}
  echo "### RUN $kind $d1 $d2"
  lan
  began=$(now_ms)
  run_$kind $d1 $d2
  stop director1
  stop director2
  echo "### ELAPSED $(($(now_ms) - began))"
  kill $SORRY
  wait $SORRY 2>/dev/null
  for d in director1 director2; do
    echo "### LOG $d"
    cat $T/$d/log
  done
}

run_no=0 pids=
for spec in "$@"; do
  run_no=$((run_no + 1))
  if [ -n "${PARALLEL:-}" ]; then
    one_run $run_no $spec >/tmp/s4-out$run_no 2>&1 &
    pids="$pids $!"
  else
    one_run $run_no $spec
  fi
done
n=0
for p in $pids; do   # each run's report as soon as it and the ones before it are done
  n=$((n + 1))
  wait $p
  cat /tmp/s4-out$n
done
echo "### END"
