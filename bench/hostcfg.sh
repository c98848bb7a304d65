#!/usr/bin/env bash
# user://, pkg:// and firewall:// against the tools an operator would run instead, side by side in one run:
#   resh user://.list            vs  getent passwd           (this machine's accounts, and 5,000 in a sandbox copy of /etc)
#   resh pkg://.list             vs  dpkg-query -W
#   resh firewall://.rules.list  vs  nft -j list ruleset     (in a throwaway network namespace holding 200 rules)
#   500 rules: one `resh batch` of 500 allow calls, one `resh firewall://.apply` of 500 rules,
#              500 `nft add rule` processes, one `nft -f` file          (each in a fresh network namespace)
# Prints markdown tables with ratios (resh / other). Needs root (namespaces); touches no host ruleset or account.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=${RUNS:-40}
"$root/scripts/build-native.sh"
resh="$root/.build/resh/resh"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends hyperfine >&2
work=$(mktemp -d /tmp/reshhostcfg-bench.XXXXXX); chmod 755 "$work"
ns=rhbench$$
cleanup() {
    [[ -f $work/holder.pid ]] && kill "$(cat "$work/holder.pid")" 2>/dev/null || true
    for n in "$ns" "${ns}b" "${ns}c" "${ns}d" "${ns}e"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
ratio() { /usr/bin/python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
label = sys.argv[2]
a, b = r[0], r[1]
print(f"| {label} | {a['median']*1000:.2f} | {b['median']*1000:.2f} | {a['median']/b['median']:.2f}x |")
PY
}

# 1. user://.list: the machine's accounts, then 5,000 accounts in a private copy of /etc.
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/user.json" "$resh user://.list" "getent passwd" >&2
cp -a /etc "$work/etc"
/usr/bin/python3 - "$work/etc" <<'PY'
import sys
etc = sys.argv[1]
with open(etc + "/passwd", "a") as p, open(etc + "/group", "a") as g:
    for i in range(5000):
        p.write(f"benchuser{i}:x:{30000+i}:{30000+i}:Bench User {i}:/home/benchuser{i}:/bin/bash\n")
        g.write(f"benchuser{i}:x:{30000+i}:\n")
PY
unshare -m --propagation private bash -c "mount --bind '$work/etc' /etc; exec sleep infinity" &
echo $! > "$work/holder.pid"
sleep 0.3
in=(nsenter -t "$(cat "$work/holder.pid")" -m)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/user5k.json" "${in[*]} $resh user://.list" "${in[*]} getent passwd" >&2

# 2. pkg://.list
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/pkg.json" "$resh pkg://.list" "dpkg-query -W" >&2

# 3. firewall://.rules.list in a namespace with 200 rules of resh's table.
ip netns add "$ns"
{ echo "add table inet resh"; echo "add chain inet resh input { type filter hook input priority -10; policy accept; }"
  for i in $(seq 1 200); do echo "add rule inet resh input ip saddr 10.$((i/250)).$((i%250)).0/24 tcp dport $((20000+i)) counter accept comment \"bench $i\""; done; } > "$work/200.nft"
ip netns exec "$ns" nft -f "$work/200.nft"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/fw.json" \
    "ip netns exec $ns $resh firewall://.rules.list backend=nftables" "ip netns exec $ns nft -j list ruleset" >&2

# 4. 500 rules.
for i in $(seq 1 500); do printf '{"id":%d,"stage":"firewall://","verb":"allow","args":{"port":"%d","proto":"tcp","backend":"nftables"}}\n' "$i" $((20000+i)); done > "$work/batch.ndjson"
/usr/bin/python3 -c 'import json; print(json.dumps([{"action":"accept","port":str(20000+i),"proto":"tcp"} for i in range(1,501)]))' > "$work/rules.json"
{ echo "add table inet bench"; echo "add chain inet bench input { type filter hook input priority 0; policy accept; }"
  for i in $(seq 1 500); do echo "add rule inet bench input tcp dport $((20000+i)) counter accept"; done; } > "$work/500.nft"
t() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
ip netns add "${ns}b"; ip netns add "${ns}c"; ip netns add "${ns}d"; ip netns add "${ns}e"
batch_ms=$(t ip netns exec "${ns}b" "$resh" batch < "$work/batch.ndjson")
apply_ms=$(t ip netns exec "${ns}c" "$resh" firewall://.apply "rules=@$work/rules.json" backend=nftables)
procs_ms=$(t ip netns exec "${ns}d" bash -c "nft add table inet bench; nft add chain inet bench input '{ type filter hook input priority 0; policy accept; }'; for i in \$(seq 1 500); do nft add rule inet bench input tcp dport \$((20000+i)) counter accept; done")
file_ms=$(t ip netns exec "${ns}e" nft -f "$work/500.nft")
for n in b c; do
    count=$(ip netns exec "${ns}$n" nft -a list table inet resh | grep -c 'comment "resh:' || true)
    [[ $count == 500 ]] || { echo "expected 500 rules in ${ns}$n, found $count" >&2; exit 1; }
done

echo "| comparison | resh median (ms) | other median (ms) | ratio |"
echo "|---|---|---|---|"
ratio "$work/user.json" '`resh user://.list` vs `getent passwd` (this machine, '"$(getent passwd | wc -l)"' accounts)'
ratio "$work/user5k.json" '`resh user://.list` vs `getent passwd` (5,000 more accounts, both via nsenter)'
ratio "$work/pkg.json" '`resh pkg://.list` vs `dpkg-query -W` ('"$(dpkg-query -W | wc -l)"' packages)'
ratio "$work/fw.json" '`resh firewall://.rules.list` vs `nft -j list ruleset` (200 rules, both via ip netns exec)'
echo
echo "| 500 rules | time (ms) | vs 500 nft processes | vs one nft -f |"
echo "|---|---|---|---|"
awk -v b="$batch_ms" -v a="$apply_ms" -v p="$procs_ms" -v f="$file_ms" 'BEGIN {
    printf "| one `resh batch` of 500 allow calls | %d | %.2fx | %.2fx |\n", b, b/p, b/f
    printf "| one `resh firewall://.apply` of 500 rules | %d | %.2fx | %.2fx |\n", a, a/p, a/f
    printf "| 500 `nft add rule` processes | %d | 1.00x | %.2fx |\n", p, p/f
    printf "| one `nft -f` file of 500 rules | %d | %.2fx | 1.00x |\n", f, f/p }'
