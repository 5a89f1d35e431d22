#!/bin/bash
# Reads the captures of a `CAPTURE=1 bench/vrrp/run.sh` run and prints, per capture, what the wire
# says about the takeover and the master's pace (all in ms):
#   takeover: from r1's last advert (priority 0 after SIGTERM) to r2's first advert
#   pace:     mean interval between r1's adverts before the kill (advert_int plus lateness)
# usage: bench/vrrp/pcap_gaps.sh OUT_DIR   (needs tcpdump)
set -uo pipefail
dir=${1:?usage: $0 OUT_DIR}
for f in "$dir"/run/probe-*.pcap; do
    [ -e "$f" ] || continue
    tcpdump -tt -n -r "$f" 'ip proto 112' 2>/dev/null | awk -v name="$(basename "$f" .json.pcap)" '
        $3 == "10.231.0.1" && /prio 0,/ { p0 = $1; next }
        $3 == "10.231.0.1" { if (n1 > 0) { sum += $1 - last1; k++ } last1 = $1; n1++ }
        $3 == "10.231.0.2" && !first2 && n1 > 0 { first2 = $1 }
        END {
            from = p0 ? p0 : last1
            printf "%s\ttakeover %.3f ms%s\tpace %.3f ms over %d intervals\n", name,
                (first2 - from) * 1000, p0 ? " (from priority 0)" : " (from the last advert)",
                k ? sum / k * 1000 : 0, k
        }'
done
