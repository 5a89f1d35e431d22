#!/bin/bash
# Regenerates crates/conf/tests/corpus/MANIFEST: for each corpus/*.conf, the exit code of the real
# `keepalived -t -f FILE`, run in a network namespace of its own holding only eth0 and eth1
# (dummy interfaces, or a veth pair where the dummy module is missing). Needs root and keepalived.
# keepalived's own messages for each file go to corpus/keepalived-said/FILE.txt (first 40 lines).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(cd "$here/../../crates/conf/tests/corpus" && pwd)
keepalived=${KEEPALIVED:-keepalived}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }
command -v "$keepalived" >/dev/null || { echo "keepalived not installed" >&2; exit 1; }

ns=kconf-rec-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
if ! { ip -n "$ns" link add eth0 type dummy && ip -n "$ns" link add eth1 type dummy; } 2>/dev/null; then
    ip -n "$ns" link del eth0 2>/dev/null || true
    ip -n "$ns" link add eth0 type veth peer name eth1
fi
for i in lo eth0 eth1; do ip -n "$ns" link set "$i" up; done

out=$corpus/MANIFEST.new
said=$corpus/keepalived-said
rm -rf "$said.new" && mkdir -p "$said.new"
{
    echo "# keepalived -t -f FILE exit codes ($("$keepalived" -v 2>&1 | head -1)), in a network namespace"
    echo "# holding only eth0 and eth1. Regenerate with bench/conf/record-manifest.sh (root)."
    echo "# 0 ok, 4 cannot run, 5 errors but would run, 6 script security (or a failed checked include),"
    echo "# 2 keepalived stopped at once (a missing parameter), 139 keepalived crashed (SIGSEGV)."
} > "$out"
cd "$corpus"
for f in *.conf; do
    set +e
    timeout 60 ip netns exec "$ns" "$keepalived" -t -f "$corpus/$f" >"$said.new/$f.txt" 2>&1
    rc=$?
    set -e
    # What keepalived printed (first 40 lines, paths relative to the corpus), for reading only.
    sed -i -e "s|$corpus/||g" -e '40q' "$said.new/$f.txt"
    printf '%s %d\n' "$f" "$rc" >> "$out"
done
mv "$out" "$corpus/MANIFEST"
rm -rf "$said" && mv "$said.new" "$said"
echo "$(grep -vc '^#' "$corpus/MANIFEST") files:"
grep -v '^#' "$corpus/MANIFEST" | awk '{print $2}' | sort -n | uniq -c
