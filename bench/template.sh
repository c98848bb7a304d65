#!/usr/bin/env bash
# template:// benchmark (issue 17): render a 5,000-line config from a Jinja2 template with loops, a macro and an
# include, side by side with python3 + Jinja2 (Environment with Ansible's trim_blocks and StrictUndefined, a
# FileSystemLoader, the same template files) rendering the same output; one run of ROUNDS rounds, as a ratio.
#   bench/template.sh        # ROUNDS=5 rounds of 10 runs each
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq hyperfine >/dev/null
python3 -c 'import jinja2' 2>/dev/null || apt-get -o DPkg::Lock::Timeout=900 install -y -qq python3-jinja2 >/dev/null
[[ -x .build/resh/resh ]] || scripts/build-native.sh >&2
resh="${RESH_BIN:-$root/.build/resh/resh}"
out="$root/bench/results"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/t/parts"
# 1,000 upstreams of 4 servers each, plus a header include: 5,000+ lines of output.
cat > "$work/t/site.conf.j2" <<'J2'
{% include 'parts/header.j2' %}
{% from 'parts/macros.j2' import server_line %}
{% for u in upstreams %}
upstream {{ u.name }} {
{% for s in u.servers %}
    {{ server_line(s.host, s.port, weight=loop.index) }}
{% endfor %}
}
{% endfor %}
J2
cat > "$work/t/parts/header.j2" <<'J2'
# generated for {{ site | upper }} ({{ upstreams | length }} upstreams)
J2
cat > "$work/t/parts/macros.j2" <<'J2'
{% macro server_line(host, port, weight=1) %}server {{ host }}:{{ port }} weight={{ weight }}{{ ' backup' if weight > 3 else '' }};{% endmacro %}
J2
python3 - "$work/vars.json" <<'PY'
import json, sys
ups = [{"name": f"app{i}", "servers": [{"host": f"10.{i // 250}.{i % 250}.{j}", "port": 8000 + j} for j in range(4)]} for i in range(1000)]
json.dump({"site": "example.org", "upstreams": ups}, open(sys.argv[1], "w"))
PY
cat > "$work/jinja.py" <<'PY'
import json, sys, jinja2
env = jinja2.Environment(loader=jinja2.FileSystemLoader(sys.argv[1]), trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
sys.stdout.write(env.get_template("site.conf.j2").render(json.load(open(sys.argv[2]))))
PY
"$resh" "template://$work/t/site.conf.j2" render "vars=@$work/vars.json" --format raw > "$work/resh.out"
python3 "$work/jinja.py" "$work/t" "$work/vars.json" > "$work/jinja.out"
cmp -s "$work/resh.out" "$work/jinja.out" || { diff "$work/resh.out" "$work/jinja.out" | head >&2; echo "template.sh: outputs differ" >&2; exit 1; }
lines=$(wc -l < "$work/resh.out")

for round in $(seq "${ROUNDS:-5}"); do
    hyperfine -N --warmup 2 --runs 10 --export-json "$out/template-$round.json" \
        -n "resh template.render" "$resh template://$work/t/site.conf.j2 render vars=@$work/vars.json --format raw" \
        -n "python3 jinja2" "python3 $work/jinja.py $work/t $work/vars.json" >&2
done
python3 - "$out" "$lines" "$(python3 -c 'import jinja2; print(jinja2.__version__)')" <<'PY' | tee "$out/template.md"
import json, glob, os, statistics, sys
rounds = [{r["command"]: r["median"] for r in json.load(open(f))["results"]} for f in glob.glob(os.path.join(sys.argv[1], "template-*.json"))]
a = statistics.median(r["resh template.render"] for r in rounds) * 1000
b = statistics.median(r["python3 jinja2"] for r in rounds) * 1000
ratio = statistics.median(r["resh template.render"] / r["python3 jinja2"] for r in rounds)
print(f"| `template://site.conf.j2 render vars=@vars.json --format raw` vs python3 Jinja2 {sys.argv[3]}, {int(sys.argv[2]):,} output lines (loops, macro, include) | {a:.1f} ms | {b:.1f} ms | {ratio:.2f}x (median of {len(rounds)} rounds) |")
PY
