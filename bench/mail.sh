#!/usr/bin/env bash
# mail:// benchmarks (issue 13): resh side by side with curl (the SMTP and IMAP client an operator already has)
# against the test servers of tests/setup/mail.sh on free loopback ports (aiosmtpd with STARTTLS+AUTH, Dovecot
# with STARTTLS), both verifying the test CA, in one hyperfine run per pair, as ratios:
#   - send one small message: `resh mail://...send` vs `curl smtp://... --ssl-reqd --upload-file`
#   - count a folder: `resh mail://.../INBOX.count` vs `curl imap://.../INBOX -X 'EXAMINE INBOX'`
# Usage: bench/mail.sh   (RUNS=N per pair, default 30)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine curl; do command -v $t >/dev/null || { echo "bench: missing $t (apt-get install hyperfine curl)" >&2; exit 1; }; done

work="$(mktemp -d /tmp/resh-bench-mail.XXXXXX)"; chmod 755 "$work"   # dovecot drops to dovenull and must reach the Maildir
cleanup() { "$root/tests/setup/mail.sh" down "$work/srv" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
free() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtp=$(free); plain=$(free); imap=$(free)
"$root/tests/setup/mail.sh" up "$work/srv" "$smtp" "$plain" "$imap"
ca="$work/srv/ca.pem"; pw="$work/srv/password"
printf 'machine 127.0.0.1 login test password %s\n' "$(cat "$pw")" > "$work/netrc"; chmod 600 "$work/netrc"
printf 'From: a@example.test\r\nTo: b@example.test\r\nSubject: bench\r\n\r\nhello\r\n' > "$work/msg.txt"

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/send.json" \
  -n "resh send" "$resh mail://test@127.0.0.1:$smtp.send to=b@example.test from=a@example.test subject=bench text=hello ca=$ca password=file:$pw" \
  -n "curl smtp" "curl -s --ssl-reqd --cacert $ca --netrc-file $work/netrc --mail-from a@example.test --mail-rcpt b@example.test --upload-file $work/msg.txt smtp://127.0.0.1:$smtp" >&2
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/count.json" \
  -n "resh count" "$resh mail://test@127.0.0.1:$imap/INBOX.count ca=$ca password=file:$pw" \
  -n "curl imap" "curl -s --ssl-reqd --cacert $ca --netrc-file $work/netrc imap://127.0.0.1:$imap/INBOX -X 'EXAMINE INBOX'" >&2

/usr/bin/python3 - "$work" <<'PY'
import json, sys, os
d = sys.argv[1]
def pair(name):
    a, b = json.load(open(os.path.join(d, name)))["results"]
    return a["median"], b["median"], a["user"] + a["system"], b["user"] + b["system"]
load = open("/proc/loadavg").read().split()[0]
print("## mail (issue 13)")
print()
print(f"Command: `bench/mail.sh` (tests/setup/mail.sh servers on loopback, STARTTLS verified against the test CA, AUTH; hyperfine medians and mean CPU time; {os.cpu_count()} CPUs, load average {load} at the end).")
print()
print("| comparison | resh wall | curl wall | wall ratio | resh CPU | curl CPU | CPU ratio |")
print("|---|---|---|---|---|---|---|")
for f, label in [("send.json", "send one message (STARTTLS, AUTH): `mail://.send` vs `curl smtp:// --upload-file`"),
                 ("count.json", "count INBOX (STARTTLS, LOGIN): `mail://.count` vs `curl imap:// -X EXAMINE`")]:
    r, c, rc, cc = pair(f)
    print(f"| {label} | {r*1000:.1f} ms | {c*1000:.1f} ms | {r/c:.2f}x | {rc*1000:.1f} ms | {cc*1000:.1f} ms | {rc/cc:.2f}x |")
PY
