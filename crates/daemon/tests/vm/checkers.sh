#!/bin/sh
# Guest side of crates/daemon/tests/checkers_vm.rs: runs under tools/run-in-vm (busybox sh, a
# Debian cloud kernel with IPVS), in /extra, which holds this script, `keepalived` (the host's
# /usr/sbin/keepalived 2.2.7) and `keepalived-rs`.
#
#   sh checkers.sh DAEMON...      (each DAEMON is a file name in /extra)
#
# For each daemon, on the same servers and the same configuration:
#   1. start: every real server's service is there; wait until every toggled virtual server has
#      its FIFO line "VS ... UP" (most checkers are alpha: their real servers start down;
#      FILE_CHECK starts from the file) and the never-up 8009 and 8011 have left the table;
#   2. break every service (stop the server, change the page, remove the file or address...),
#      wait until each real server is down (after `retry` failures `delay_before_retry` apart)
#      and both weights have changed;
#   3. mend them, wait until each is up again and both weights are back;
#   4. SIGHUP with the same configuration (a reload: every real server keeps its state);
#   5. SIGTERM, wait for the exit.
# The waits read the FIFO and the daemon's log, so each step ends in the same state for both
# daemons whatever the machine's speed; a wait that times out (30 s) fails the test.
# `ipvsadm -Ln` after each step. Then the daemon's log, the notify script calls and the
# lvs_notify_fifo lines, in sections the test parses:
#   ### DAEMON <name> / ### STEP <name> (ipvsadm -Ln) / ### COMPUTED <step> (keepalived-rs's
#   computed table) / ### WAITED <what> <ok|timeout> <ms> / ### EXIT <status> / ### ELAPSED <ms> /
#   ### LOG / ### NOTIFY / ### FIFO / ### END
# Checkers: TCP_CHECK, HTTP_GET (status_code and digest; a stopped server and a changed page),
# MISC_CHECK, FILE_CHECK, SMTP_CHECK (busybox nc -e with a tiny SMTP dialogue) and PING_CHECK,
# each its own virtual server on VIP 10.10.0.100 port 800N (N = 1..7) with one real server
# 10.10.0.N port 800N (DR: the ports match). An eighth virtual server (8000, TCP_CHECK without
# alpha) shows the start of a real server assumed up; its server stays. 8008..8013 never find
# their real server (TCP alpha, HTTP not alpha, MISC alpha, SMTP not alpha, PING alpha, HTTP
# alpha; 10.10.0.8 to .13 are not on the guest): a first check that fails. 8014..8017 are
# 8003, 8004, 8006 and 8007 with log_all_failures. 8018 (FILE_CHECK weight 2) and 8019
# (MISC_CHECK misc_dynamic) change their real server's weight at the break and back at the mend.
# 8020 (VIP 10.10.0.200, ha_suspend, TCP_CHECK) checks only from the break, when its virtual
# address arrives, to the mend, when it leaves. 8021 has a sorry server, quorum_up/quorum_down
# scripts and omega; 8022's real server has inhibit_on_failure (weight 0 instead of removal).
# 8023 (DNS_CHECK) and 8024 (UDP_CHECK, log_all_failures) are UDP services on the host's
# dnsmasq, 8025 (SSL_GET, digest) is the host's `openssl s_server -WWW`, when they were copied in.
set -u
X=/extra
T=/tmp/ck
DNS=   # DNS_CHECK and UDP_CHECK when the host's dnsmasq came along
[ -x $X/dnsmasq ] && DNS=1
SSL=   # SSL_GET when the host's openssl came along (with ssl.pem and ssl.key made on the host)
[ -x $X/openssl ] && SSL=1
VIP=10.10.0.100

ipvsadm=/usr/sbin/ipvsadm
ip() { /usr/bin/ip "$@"; }   # busybox sh would run its own ip applet
now_ms() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}0"; }

# --- network: every address on dummy0 (local: the traffic goes over lo)
ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 10.10.0.254/24 dev dummy0
ip addr add $VIP/32 dev dummy0
for n in 0 1 2 3 4 5 6 7 14 15 16 17 18 19 20 21 22 23 24 25; do ip addr add 10.10.0.$n/32 dev dummy0; done
# the kernel-table virtual servers (9xxx, no checkers: their real servers are simply in)
ip addr add 2001:db8:10::254/64 dev dummy0
ip route add 10.10.3.0/24 dev dummy0

# --- servers
mkdir -p $T/www2 $T/www3
echo "checked by HTTP_GET" >$T/www2/index.html
echo "digest of this page" >$T/www3/index.html
DIGEST=$(md5sum $T/www3/index.html | cut -d' ' -f1)
cat >$X/smtp.sh <<'EOF'
#!/bin/sh
printf '220 vm ESMTP\r\n'
while read -r line; do
  case $line in
    HELO*|EHLO*) printf '250 vm\r\n' ;;
    QUIT*) printf '221 bye\r\n'; exit 0 ;;
    *) printf '250 ok\r\n' ;;
  esac
done
EOF
cat >$X/misc.sh <<EOF
#!/bin/sh
test -e $T/misc.up
EOF
cat >$X/dyn.sh <<EOF
#!/bin/sh
exit \$(cat $T/dyn.val)
EOF
cat >$X/rec.sh <<EOF
#!/bin/sh
echo "\$*" >>$T/calls
EOF
cat >$X/fifo.sh <<EOF
#!/bin/sh
cat "\$1" >>$T/fifo.log
EOF
chmod 755 $X/smtp.sh $X/misc.sh $X/dyn.sh $X/rec.sh $X/fifo.sh

SSLD= DNSD23= DNSD24= HTTPD0= HTTPD20= HTTPD21= HTTPD22= HTTPD1= HTTPD2= HTTPD3= HTTPD14= SMTPD= SMTPD16=
# servers keep nothing of ours open: the VM's output ends when its last writer closes
bg() { "$@" </dev/null >/dev/null 2>&1 & }
servers_up() {   # first call: all of them; later: the ones servers_down stopped
  [ -n "$HTTPD0" ] || { bg httpd -f -p 10.10.0.0:8000 -h $T/www2; HTTPD0=$!; }
  [ -n "$HTTPD20" ] || { bg httpd -f -p 10.10.0.20:8020 -h $T/www2; HTTPD20=$!; }
  ip addr del 10.10.0.200/32 dev dummy0 2>/dev/null   # 8020's virtual address leaves
  bg httpd -f -p 10.10.0.1:8001 -h $T/www2; HTTPD1=$!
  bg httpd -f -p 10.10.0.2:8002 -h $T/www2; HTTPD2=$!
  bg httpd -f -p 10.10.0.21:8021 -h $T/www2; HTTPD21=$!
  bg httpd -f -p 10.10.0.22:8022 -h $T/www2; HTTPD22=$!
  [ -n "$HTTPD3" ] || { bg httpd -f -p 10.10.0.3:8003 -h $T/www3; HTTPD3=$!; }
  [ -n "$HTTPD14" ] || { bg httpd -f -p 10.10.0.14:8014 -h $T/www3; HTTPD14=$!; }
  echo "digest of this page" >$T/www3/index.html
  : >$T/misc.up
  echo 0 >$T/file.val
  echo 0 >$T/file2.val
  echo 3 >$T/dyn.val   # misc_dynamic: weight 3 - 2 = 1, the configured one
  bg nc -ll -p 8006 -e $X/smtp.sh; SMTPD=$!
  bg nc -ll -p 8016 -e $X/smtp.sh; SMTPD16=$!
  if [ -n "$SSL" ]; then
    bg sh -c "cd $T/www3 && exec env OPENSSL_CONF=/dev/null $X/openssl s_server -quiet -WWW \
      -accept 10.10.0.25:8025 -cert $X/ssl.pem -key $X/ssl.key"
    SSLD=$!
  fi
  if [ -n "$DNS" ]; then
    for n in 23 24; do
      bg $X/dnsmasq --no-daemon -u root --port=80$n --listen-address=10.10.0.$n --bind-interfaces \
        --no-resolv --no-hosts --address=/example.test/10.1.2.3 -C /dev/null --pid-file=
      eval DNSD$n=\$!
    done
  fi
  ip addr add 10.10.0.7/32 dev dummy0 2>/dev/null
  ip addr add 10.10.0.17/32 dev dummy0 2>/dev/null
  for p in 8000 8001 8002 8003 8006 8014 8016 8020 8021 8022 ${SSL:+8025}; do
    i=0
    while ! ss -Hltn "sport = :$p" | grep -q LISTEN && [ $i -lt 100 ]; do
      sleep 0.05; i=$((i + 1))
    done
  done
}
servers_down() {   # 8000 keeps its server
  kill $HTTPD1 $HTTPD2 $HTTPD21 $HTTPD22 $SMTPD $SMTPD16 $DNSD23 $DNSD24 $SSLD
  wait $HTTPD1 $HTTPD2 $HTTPD21 $HTTPD22 $SMTPD $SMTPD16 $DNSD23 $DNSD24 $SSLD 2>/dev/null
  echo "this page has changed" >$T/www3/index.html
  rm -f $T/misc.up
  echo 1 >$T/file.val
  echo 3 >$T/file2.val
  echo 12 >$T/dyn.val
  ip addr del 10.10.0.7/32 dev dummy0
  ip addr del 10.10.0.17/32 dev dummy0
  ip addr add 10.10.0.200/32 dev dummy0   # 8020's virtual address arrives
}

conf() {
  cat <<EOF
global_defs {
    router_id vm
    lvs_notify_fifo $T/lvs.fifo
    lvs_notify_fifo_script $X/fifo.sh
}
track_file file1 {
    file $T/file.val
}
track_file file2 {
    file $T/file2.val
}
EOF
  # port, real server N, checker block, more virtual server keywords, protocol (TCP)
  vs() {
    cat <<EOF
virtual_server $VIP $1 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol ${5:-TCP}
$4
    real_server 10.10.0.$2 $1 {
        weight 1
        notify_up "$X/rec.sh up $2"
        notify_down "$X/rec.sh down $2"
$3
    }
}
EOF
  }
  R='            retry 2
            delay_before_retry 1
            connect_timeout 1'
  vs 8000 0 "        TCP_CHECK {
$R
        }" ""
  vs 8001 1 "        TCP_CHECK {
$R
            log_all_failures
        }" "    alpha"
  vs 8002 2 "        HTTP_GET {
            url {
                path /index.html
                status_code 200
            }
$R
            log_all_failures
        }" "    alpha"
  vs 8003 3 "        HTTP_GET {
            url {
                path /index.html
                digest $DIGEST
            }
$R
        }" "    alpha"
  vs 8004 4 "        MISC_CHECK {
            misc_path $X/misc.sh
            misc_timeout 2
            retry 2
            delay_before_retry 1
        }" "    alpha"
  vs 8005 5 "        FILE_CHECK {
            track_file file1
            weight 0
        }" "    alpha"
  vs 8006 6 "        SMTP_CHECK {
            helo_name vm.test
$R
        }" "    alpha"
  vs 8007 7 "        PING_CHECK {
$R
        }" "    alpha"
  # never up: how each kind reports a first check that fails, with and without alpha
  vs 8008 8 "        TCP_CHECK {
$R
        }" "    alpha"
  vs 8009 9 "        HTTP_GET {
            url {
                path /index.html
                status_code 200
            }
$R
        }" ""
  vs 8010 10 "        MISC_CHECK {
            misc_path /bin/false
            retry 2
            delay_before_retry 1
        }" "    alpha"
  vs 8011 11 "        SMTP_CHECK {
$R
        }" ""
  vs 8012 12 "        PING_CHECK {
$R
        }" "    alpha"
  vs 8013 13 "        HTTP_GET {
            url {
                path /index.html
                status_code 200
            }
$R
        }" "    alpha"
  # 8003, 8004, 8006 and 8007 again with log_all_failures: every failure's own line
  L='            log_all_failures'
  vs 8014 14 "        HTTP_GET {
            url {
                path /index.html
                digest $DIGEST
            }
$R
$L
        }" "    alpha"
  vs 8015 15 "        MISC_CHECK {
            misc_path $X/misc.sh
            misc_timeout 2
            retry 2
            delay_before_retry 1
$L
        }" "    alpha"
  vs 8016 16 "        SMTP_CHECK {
            helo_name vm.test
$R
$L
        }" "    alpha"
  vs 8017 17 "        PING_CHECK {
$R
$L
        }" "    alpha"
  # weights that follow a file and a script: the real servers stay up
  vs 8018 18 "        FILE_CHECK {
            track_file file2
            weight 2
        }" ""
  vs 8019 19 "        MISC_CHECK {
            misc_path $X/dyn.sh
            misc_dynamic
            misc_timeout 2
        }" ""
  # ha_suspend: checks only while the virtual address is on the host (from the break to the mend)
  cat <<EOF
virtual_server 10.10.0.200 8020 {
    delay_loop 1
    ha_suspend
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.10.0.20 8020 {
        weight 1
        notify_up "$X/rec.sh up 20"
        notify_down "$X/rec.sh down 20"
        TCP_CHECK {
$R
        }
    }
}
EOF
  # a sorry server, quorum scripts and omega; then inhibit_on_failure
  vs 8021 21 "        TCP_CHECK {
$R
        }" "    sorry_server 10.10.0.0 8021
    quorum_up \"$X/rec.sh qup 21\"
    quorum_down \"$X/rec.sh qdown 21\"
    omega"
  vs 8022 22 "        TCP_CHECK {
$R
        }
        inhibit_on_failure" ""
  [ -z "$SSL" ] || vs 8025 25 "        SSL_GET {
            url {
                path /index.html
                digest $DIGEST
            }
$R
        }" "    alpha"
  kernel_vs
  [ -n "$DNS" ] || return 0
  # UDP services on dnsmasq: DNS_CHECK, and UDP_CHECK (no reply required) with log_all_failures
  vs 8023 23 "        DNS_CHECK {
            type A
            name www.example.test
$R
        }" "    alpha" UDP
  vs 8024 24 "        UDP_CHECK {
$R
$L
        }" "    alpha" UDP
}

# Virtual servers without checkers, for the kernel's table: every scheduler keepalived accepts
# (but twos, not in this kernel), sh/mh flags, ops, persistence with netmask, prefix and engine,
# NAT, TUN (ipip, gue, gre), thresholds, IPv6, UDP, SCTP, fwmark (v4, v6), a
# virtual_server_group with a range and a fwmark. CHANGED=1 is the configuration of the changed
# reload: a scheduler and a weight changed, a virtual server and a real server removed, one added.
kernel_vs() {
  kv() {   # address port "keywords" "real servers"
    printf 'virtual_server %s %s {\n%s\n%s\n}\n' "$1" "$2" "$3" "$4"
  }
  rs() {   # address port [keywords]
    printf '    real_server %s %s {\n        weight 1\n%s\n    }\n' "$1" "$2" "${3:-}"
  }
  p=9000
  for s in rr wrr lc wlc lblc lblcr dh sh mh sed nq fo ovf; do
    p=$((p + 1))
    k="    lb_algo $s
    lb_kind DR
    protocol TCP"
    [ "$s$CHANGED" = rr1 ] && k="    lb_algo wlc
    lb_kind DR"
    [ $s = sh ] && k="$k
    sh-port
    sh-fallback"
    [ $s = mh ] && k="$k
    mh-port"
    [ "$s$CHANGED" = lc1 ] && continue
    if [ "$s$CHANGED" = wrr1 ]; then
      kv 10.10.1.1 $p "$k" "$(rs 10.10.3.1 $p '        weight 3')"
    elif [ "$s$CHANGED" = wlc1 ]; then
      kv 10.10.1.1 $p "$k" "$(rs 10.10.3.1 $p)"
    else
      kv 10.10.1.1 $p "$k" "$(rs 10.10.3.1 $p)
$(rs 10.10.3.2 $p)"
    fi
  done
  kv 10.10.1.2 9100 "    lb_algo rr
    lb_kind DR
    persistence_timeout 120
    persistence_granularity 255.255.255.0" "$(rs 10.10.3.1 9100)"
  kv 10.10.1.2 9101 "    lb_algo wlc
    lb_kind NAT" "$(rs 10.10.3.1 9191 '        uthreshold 100
        lthreshold 10')"
  kv 10.10.1.2 9102 "    lb_algo rr
    lb_kind TUN" "$(rs 10.10.3.1 9102)
$(rs 10.10.3.2 9102 '        lvs_method TUN type gue port 6080 csum')
$(rs 10.10.3.3 9102 '        lvs_method TUN type gre')"
  kv 10.10.1.2 9103 "    lb_algo rr
    lb_kind DR
    protocol UDP
    ops
    persistence_timeout 30
    persistence_engine sip" "$(rs 10.10.3.1 9103)"
  kv 10.10.1.2 9104 "    lb_algo rr
    lb_kind DR
    protocol SCTP" "$(rs 10.10.3.1 9104)"
  kv 2001:db8:10::100 9105 "    lb_algo wrr
    lb_kind NAT
    persistence_timeout 60
    persistence_granularity 64" "$(rs 2001:db8:20::1 8080)"
  kv fwmark 100 "    lb_algo sh
    sh-fallback
    lb_kind DR" "$(rs 10.10.3.1 0)"
  kv fwmark 101 "    ip_family inet6
    lb_algo rr
    lb_kind NAT" "$(rs 2001:db8:20::2 9106)"
  printf 'virtual_server_group G1 {\n    10.10.2.1-3 9110\n    fwmark 102\n}\n'
  kv group G1 "    lb_algo rr
    lb_kind DR
    persistence_timeout 40
    persistence_granularity 255.255.0.0" "$(rs 10.10.3.1 9110)"
  [ -z "$CHANGED" ] || kv 10.10.1.2 9150 "    lb_algo lc
    lb_kind DR" "$(rs 10.10.3.4 9150)"
}

all_vs() {   # every toggled virtual server has at least $2 FIFO lines "VS ... $1"
  for p in 8001 8002 8003 8004 8005 8006 8007 8014 8015 8016 8017 8021 8022 ${DNS:+8023 8024} ${SSL:+8025}; do
    c=$(grep -c "^VS \[$VIP\]:[a-z]*:$p $1\$" $T/fifo.log 2>/dev/null)
    [ "${c:-0}" -ge "$2" ] || return 1
  done
}
vs_has() {   # the FIFO has a line "VS [VIP]:tcp:$1 $2"
  grep -q "^VS \[$VIP\]:tcp:$1 $2\$" $T/fifo.log 2>/dev/null
}
log_has() {   # the daemon's log has $1 at least once
  grep -qF "$1" $T/log 2>/dev/null
}
settle() {   # until the notify calls stop coming for 0.5 s (the scripts run asynchronously)
  last=x i=0
  while [ $i -lt 40 ]; do
    cur=$(wc -l <$T/calls 2>/dev/null || echo 0)
    [ "$cur" = "$last" ] && return
    last=$cur i=$((i + 1))
    sleep 0.5
  done
}
wait_for() {   # what, shell condition, limit in seconds
  t0=$(now_ms) st=timeout
  end=$((t0 + $3 * 1000))
  while [ "$(now_ms)" -lt $end ]; do
    if eval "$2"; then st=ok; break; fi
    sleep 0.1
  done
  echo "### WAITED $1 $st $(($(now_ms) - t0))"
  settle
}
step() {   # the kernel's table (ipvsadm -Sn, sorted); for keepalived-rs also the table it
           # computed (SIGUSR1 dump) while it runs
  echo "### STEP $1"
  $ipvsadm -Sn 2>&1 | sort
  if [ "$d" = keepalived-rs ] && kill -0 $kp 2>/dev/null; then
    rm -f /tmp/keepalived_check.data
    kill -USR1 $kp
    i=0
    while ! grep -q 'Computed LVS table' /tmp/keepalived_check.data 2>/dev/null && [ $i -lt 50 ]; do
      sleep 0.1; i=$((i + 1))
    done
    echo "### COMPUTED $1"
    sed -n '/Computed LVS table/,$p' /tmp/keepalived_check.data | tail -n +2
  fi
}

run() {
  d=$1
  echo "### DAEMON $d"
  rm -rf $T/calls $T/fifo.log $T/lvs.fifo $T/*.pid $T/log
  $ipvsadm -C
  servers_up
  CHANGED=
  conf >$T/ka.conf
  started=$(now_ms)
  $X/$d -n -l -D -C -f $T/ka.conf -p $T/main.pid -c $T/check.pid -r $T/vrrp.pid >$T/log 2>&1 &
  kp=$!
  # also: the never-up real servers that started in the table (8009, 8011) have left it
  wait_for up "all_vs UP 1 && vs_has 8009 DOWN && vs_has 8011 DOWN" 30
  step up
  servers_down
  wait_for down "all_vs DOWN 1 && log_has 'Changing weight from 1 to 7 ' &&
    log_has 'Changing weight from 1 to 10 ' &&
    log_has 'TCP connection to [10.10.0.20]:tcp:8020 success.'" 30
  step down
  servers_up
  wait_for up-again "all_vs UP 2 && log_has 'Changing weight from 7 to 1 ' &&
    log_has 'Changing weight from 10 to 1 ' &&
    log_has 'Suspending healthchecker for service [10.10.0.20]:tcp:8020'" 30
  step up-again
  # SIGHUP with the same configuration: every real server keeps its state and weight. (With
  # misc_dynamic's exit 0, "keep the weight", keepalived 2.2.7 drops that real server to weight
  # 0 and its quorum at a reload; 8019 exits 3, weight 1, to compare the reload itself.)
  kill -HUP $kp
  wait_for reloaded "[ \$(grep -c 'Activating healthchecker for service \[10.10.0.1\]:' $T/log) -ge 2 ]" 30
  sleep 2   # the reloaded checkers' first checks
  step reloaded
  # SIGHUP with a changed configuration (kernel-table virtual servers only: the checked ones
  # stay, so their lines compare as before)
  CHANGED=1
  conf >$T/ka.conf
  kill -HUP $kp
  wait_for reloaded-changed "$ipvsadm -Sn | grep -q ':9150 ' && ! $ipvsadm -Sn | grep -q '10.10.1.1:9003 '" 30
  sleep 1
  step reloaded-changed
  echo "--- SIGTERM" >>$T/fifo.log   # what the FIFO gets from here is the shutdown's
  kill -TERM $kp
  wait $kp
  st=$?
  settle   # notify scripts of the shutdown
  step stopped
  echo "### EXIT $st"
  echo "### ELAPSED $(($(now_ms) - started))"
  echo "### LOG"
  cat $T/log
  echo "### NOTIFY"
  cat $T/calls 2>/dev/null
  echo "### FIFO"
  cat $T/fifo.log 2>/dev/null
  echo "### END"
  kill $SSLD $DNSD23 $DNSD24 $HTTPD0 $HTTPD20 $HTTPD21 $HTTPD22 $HTTPD1 $HTTPD2 $HTTPD3 $HTTPD14 $SMTPD $SMTPD16 2>/dev/null
  wait $SSLD $DNSD23 $DNSD24 $HTTPD0 $HTTPD20 $HTTPD21 $HTTPD22 $HTTPD1 $HTTPD2 $HTTPD3 $HTTPD14 $SMTPD $SMTPD16 2>/dev/null
  HTTPD0= HTTPD20= HTTPD3= HTTPD14=
}

mkdir -p $T
for d in "$@"; do run "$d"; done
