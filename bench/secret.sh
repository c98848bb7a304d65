#!/usr/bin/env bash
# secret:// benchmark (issue 12): reading a secret for a script, side by side with `cat` of a 0600 file.
#   bench/secret.sh              # ROUNDS=15 rounds of 30 runs each
# Target: `secret://NAME.get reveal=true --format raw` ≤ 3x `cat` (one key-file read, one key unwrap, one
# HMAC check and one AES-GCM open; no KDF). Also measured for context: resh's own floor (`file.read` raw of
# the same file) and the passphrase mode (Argon2id on every call, by design).
# Prints a markdown report and writes bench/results/secret.md and the raw hyperfine JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
scripts/build-native.sh >&2
resh="$root/.build/resh/resh"
out="$root/bench/results"
mkdir -p "$out"
rm -f "$out"/secret-*.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export RESH_HOME="$work/state" RESH_SECRET_PASSPHRASE= RESH_SECRET_KEY_FILE=

value="$(head -c 24 /dev/urandom | base64)"
printf '%s' "$value" > "$work/secret.txt"
chmod 600 "$work/secret.txt"
printf '%s' "$value" | "$resh" secret://bench/db.set value=@- >/dev/null
# A keystore of realistic size: 100 more secrets with a few versions each.
for i in $(seq 100); do "$resh" "secret://bench/s$i.generate" >/dev/null; done
[[ "$("$resh" secret://bench/db.get reveal=true --format raw)" == "$value" ]] || { echo "secret.sh: the value did not round-trip" >&2; exit 1; }

for round in $(seq "${ROUNDS:-15}"); do
    hyperfine -N --warmup 5 --runs 30 --export-json "$out/secret-$round.json" \
        -n "resh secret.get raw" "$resh secret://bench/db.get reveal=true --format raw" \
        -n "cat" "cat $work/secret.txt" \
        -n "resh file.read raw" "$resh file://$work/secret.txt.read --format raw" >&2
done
# The passphrase mode derives the key with Argon2id (64 MiB, 3 passes) on every call: a few runs.
RESH_HOME="$work/pp" RESH_SECRET_PASSPHRASE="bench passphrase" bash -c "printf '%s' '$value' | '$resh' secret://bench/db.set value=@- >/dev/null"
RESH_HOME="$work/pp" RESH_SECRET_PASSPHRASE="bench passphrase" hyperfine -N --warmup 1 --runs 5 --export-json "$out/secret-passphrase.json" \
    -n "resh secret.get raw (passphrase)" "$resh secret://bench/db.get reveal=true --format raw" >&2

python3 - "$out" "$(wc -c < "$work/state/secrets/local.keystore")" <<'PY' | tee "$out/secret.md"
import json, sys, os, glob, statistics
out, size = sys.argv[1], int(sys.argv[2])
def load(path): return {r["command"]: r for r in json.load(open(path))["results"]}
rounds = [load(f) for f in sorted(glob.glob(os.path.join(out, "secret-[0-9]*.json")))]
def ms(c): return statistics.median(r[c]["median"] for r in rounds) * 1000
def ratio(a, c): return statistics.median(r[a]["median"] / r[c]["median"] for r in rounds)
print(f"| comparison | resh | other | ratio (median of {len(rounds)} rounds) | target |")
print("|---|---|---|---|---|")
print(f"| `secret://NAME.get reveal=true --format raw` vs `cat` of a 0600 file | {ms('resh secret.get raw'):.2f} ms | {ms('cat'):.2f} ms | {ratio('resh secret.get raw', 'cat'):.2f}x | ≤ 3x |")
print(f"| `secret://NAME.get ...` vs `file://FILE.read --format raw` (resh's floor) | {ms('resh secret.get raw'):.2f} ms | {ms('resh file.read raw'):.2f} ms | {ratio('resh secret.get raw', 'resh file.read raw'):.2f}x | - |")
pp = load(os.path.join(out, "secret-passphrase.json"))["resh secret.get raw (passphrase)"]
print(f"| passphrase keystore (Argon2id 64 MiB, t=3 per call) | {pp['median']*1000:.0f} ms | | | - |")
print(f"\nKeystore: 101 secrets, {size:,} bytes.")
PY
