#!/usr/bin/env bash
# DNS servers for the dns:// tests, inside their own network namespace NAME (so the delegated
# hierarchy can use several loopback addresses on one port without touching the host):
#   BIND 9 (one named, one view per address, all on PORT):
#     127.53.0.1  the root zone "."          (delegates test. to ns.nic.test = 127.53.0.3)
#     127.53.0.3  test.                      (delegates example.test. to ns1 = 127.0.0.1 and ns2 = 127.53.0.2)
#     127.0.0.1   ns1: example.test (dynamic updates and AXFR with the TSIG key in DIR/tsig.key),
#                 127.in-addr.arpa, big.test (BIG records, AXFR with the key), calm.test, stale.test (serial 2)
#     127.53.0.2  ns2: a static copy of example.test, calm.test, stale.test (serial 1)
#   dnsmasq on 127.53.0.9:53, the system resolver of DIR/resolv.conf: db1.resolver.test from DIR/hosts (other
#     resolver.test names are NXDOMAIN),
#     everything under example.test forwarded to ns1.
# Run programs there with `ip netns exec NAME CMD`; for the resolver, bind DIR/resolv.conf over
# /etc/resolv.conf in a private mount namespace (`unshare -m`), never on the host.
#
# usage: dns.sh up DIR NAME PORT [BIG]   (NAME: a per-run name; BIG: records in big.test, default 20000)
#        dns.sh down DIR NAME            stops what it started (by PID) and deletes the namespace
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2"); NAME=$3
case $cmd in
up)
    PORT=$4; BIG=${5:-20000}
    mkdir -p "$DIR"
    ip netns add "$NAME"
    ip -n "$NAME" link set lo up
    for a in 127.53.0.1 127.53.0.2 127.53.0.3 127.53.0.9; do ip -n "$NAME" addr add "$a/32" dev lo; done
    tsig-keygen -a hmac-sha256 resh-key > "$DIR/tsig.key"
    soa() { printf '$TTL 300\n@ IN SOA %s hostmaster.%s %s 3600 600 86400 300\n' "$1" "$2" "$3"; }
    { soa ns.root. test. 1
      printf '@ IN NS ns.root.\nns.root. IN A 127.53.0.1\ntest. IN NS ns.nic.test.\nns.nic.test. IN A 127.53.0.3\n'; } > "$DIR/root.zone"
    { soa ns.nic.test. test. 1
      printf '@ IN NS ns.nic.test.\nns.nic.test. IN A 127.53.0.3\n'
      printf 'example.test. IN NS ns1.example.test.\nexample.test. IN NS ns2.example.test.\n'
      printf 'ns1.example.test. IN A 127.0.0.1\nns2.example.test. IN A 127.53.0.2\n'; } > "$DIR/test.zone"
    { soa ns1.example.test. example.test. 2026120501
      cat <<'ZONE'
@      IN NS    ns1
@      IN NS    ns2
@      IN MX    10 mail
@      IN MX    20 mail2
ns1    IN A     127.0.0.1
ns2    IN A     127.53.0.2
mail   IN A     127.0.0.25
mail2  IN A     127.0.0.26
www    IN A     127.0.0.10
www    IN AAAA  fd00::10
alias  IN CNAME www
txt    IN TXT   "hello world"
odd    IN TXT   "a\000b\255c"
_sip._tcp IN SRV 0 5 5060 www
ZONE
      # 40 A records at one name: 680 bytes, more than a 512-byte UDP answer without EDNS holds (truncated, TC).
      for i in $(seq 40); do printf 'many IN A 127.0.1.%d\n' "$i"; done
    } > "$DIR/example.test.zone"
    cp "$DIR/example.test.zone" "$DIR/example.test.ns2.zone"
    { soa ns1.example.test. 127.in-addr.arpa. 1; printf '@ IN NS ns1.example.test.\n10.0.0 IN PTR www.example.test.\n'; } > "$DIR/127.zone"
    { soa ns1.example.test. calm.test. 7; printf '@ IN NS ns1.example.test.\n@ IN NS ns2.example.test.\n'; } > "$DIR/calm1.zone"
    cp "$DIR/calm1.zone" "$DIR/calm2.zone"
    { soa ns1.example.test. stale.test. 2; printf '@ IN NS ns1.example.test.\n@ IN NS ns2.example.test.\n'; } > "$DIR/stale1.zone"
    { soa ns1.example.test. stale.test. 1; printf '@ IN NS ns1.example.test.\n@ IN NS ns2.example.test.\n'; } > "$DIR/stale2.zone"
    { soa ns1.example.test. big.test. 1; printf '@ IN NS ns1.example.test.\n'
      awk -v n="$BIG" 'BEGIN { for (i = 0; i < n; i++) printf "h%d IN A 10.%d.%d.%d\n", i, int(i/65536)%256, int(i/256)%256, i%256 }'; } > "$DIR/big.zone"
    cat > "$DIR/named.conf" <<CFG
include "$DIR/tsig.key";
options {
  directory "$DIR";
  pid-file "$DIR/named.pid";
  listen-on port $PORT { 127.0.0.1; 127.53.0.1; 127.53.0.2; 127.53.0.3; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-query { any; };
};
controls { };
view root  { match-destinations { 127.53.0.1; }; zone "." { type primary; file "root.zone"; }; };
view tld   { match-destinations { 127.53.0.3; }; zone "test" { type primary; file "test.zone"; }; };
view ns2   { match-destinations { 127.53.0.2; };
  zone "example.test" { type primary; file "example.test.ns2.zone"; };
  zone "calm.test" { type primary; file "calm2.zone"; };
  zone "stale.test" { type primary; file "stale2.zone"; };
};
view ns1   { match-destinations { 127.0.0.1; };
  zone "example.test" { type primary; file "example.test.zone"; allow-update { key resh-key; }; allow-transfer { key resh-key; }; };
  zone "127.in-addr.arpa" { type primary; file "127.zone"; };
  zone "big.test" { type primary; file "big.zone"; allow-transfer { key resh-key; }; };
  zone "calm.test" { type primary; file "calm1.zone"; };
  zone "stale.test" { type primary; file "stale1.zone"; };
};
CFG
    echo "127.0.0.7 db1.resolver.test" > "$DIR/hosts"
    echo "nameserver 127.53.0.9" > "$DIR/resolv.conf"
    chown -R bind:bind "$DIR"
    chmod 0755 "$DIR"
    named-checkconf "$DIR/named.conf"
    ip netns exec "$NAME" /usr/sbin/named -u bind -c "$DIR/named.conf" -L "$DIR/named.log" -4
    ip netns exec "$NAME" dnsmasq --conf-file=/dev/null --keep-in-foreground --listen-address=127.53.0.9 --port=53 \
        --bind-interfaces --no-resolv --no-hosts --addn-hosts="$DIR/hosts" --local=/resolver.test/ --server="/example.test/127.0.0.1#$PORT" \
        --user=nobody --group=nogroup --pid-file= </dev/null >"$DIR/dnsmasq.log" 2>&1 &
    echo $! > "$DIR/dnsmasq.pid"
    for i in $(seq 100); do
        ip netns exec "$NAME" dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 www.example.test A 2>/dev/null | grep -q . &&
        ip netns exec "$NAME" dig +short +time=1 +tries=1 -p "$PORT" @127.53.0.1 . SOA 2>/dev/null | grep -q . &&
        ip netns exec "$NAME" dig +short +time=1 +tries=1 @127.53.0.9 db1.resolver.test 2>/dev/null | grep -q . && exit 0
        sleep 0.1
    done
    echo "dns.sh: the servers did not answer; see $DIR/named.log and $DIR/dnsmasq.log" >&2; exit 1
    ;;
down)
    for f in named dnsmasq; do
        [[ -f "$DIR/$f.pid" ]] || continue
        pid=$(cat "$DIR/$f.pid"); kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    ip netns del "$NAME" 2>/dev/null || true
    ;;
esac
