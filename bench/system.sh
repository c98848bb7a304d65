#!/usr/bin/env bash
# system:// benchmarks: start-up-bound reads side by side with the tools people run instead (free -b, df -B1,
# uptime) and with a bare Native AOT hello world (the floor any .NET AOT binary pays), in one hyperfine run;
# then peak RSS (GNU time). Usage: bench/system.sh   (RUNS=N to change hyperfine's minimum runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resh="${RESH_BIN:-$root/.build/resh/resh}"
[[ -x "$resh" ]] || "$root/scripts/build-native.sh"
for t in hyperfine free df /usr/bin/time; do command -v $t >/dev/null || { echo "bench: missing $t (apt-get install hyperfine time procps)" >&2; exit 1; }; done

src="" work=""
trap 'rm -rf "$src" "$work"' EXIT

# A bare AOT hello world with resh's start-up settings (invariant globalization, workstation GC), built once.
hello="$root/.build/bench/hello/hello"
if [[ ! -x "$hello" ]]; then
    src="$(mktemp -d /tmp/resh-bench-hello.XXXXXX)"
    cat > "$src/hello.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
    <UseSystemResourceKeys>true</UseSystemResourceKeys>
    <ServerGarbageCollection>false</ServerGarbageCollection>
    <ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
  </PropertyGroup>
</Project>
XML
    echo 'System.Console.WriteLine("hello");' > "$src/Program.cs"
    # The temporary folder sits outside the repository, so resh's Directory.Build.props do not apply.
    dotnet publish "$src/hello.csproj" -c Release -r linux-x64 -o "$root/.build/bench/hello" -nologo -v:quiet >&2
fi

work="$(mktemp -d /tmp/resh-bench-system.XXXXXX)"
runs=${RUNS:-200}
hyperfine -N --warmup 20 --min-runs "$runs" --export-markdown "$work/startup.md" --export-json "$work/startup.json" \
  -n "AOT hello world" "$hello" \
  -n "resh version (start-up floor)" "$resh version" \
  -n "resh system://.memory" "$resh system://.memory" \
  -n "free -b" "free -b" \
  -n "resh system://.uptime" "$resh system://.uptime" \
  -n "uptime" "uptime" \
  -n "resh system://.disk" "$resh system://.disk" \
  -n "df -B1" "df -B1" \
  -n "resh system://.info" "$resh system://.info" >&2

echo "## system"
echo
echo "Command: \`bench/system.sh\` (hyperfine -N, warm cache, $(nproc) CPUs, $(uname -r))."
echo
cat "$work/startup.md"
echo
# CPU time (user + system) is what a process costs; on a busy machine wall time mostly measures waiting.
/usr/bin/python3 - "$work/startup.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = next(r for r in results if r["command"] == "AOT hello world")
cpu = lambda r: (r["user"] + r["system"]) * 1000
print("| command | CPU (user+sys) mean [ms] | vs AOT hello world |")
print("|:---|---:|---:|")
for r in results:
    print(f"| `{r['command']}` | {cpu(r):.2f} | {cpu(r) / cpu(base):.2f}x |")
PY
echo
echo "| command | peak RSS (KiB, max of 5) |"
echo "|:---|---:|"
for cmd in "$hello" "$resh system://.memory" "free -b" "$resh system://.info"; do
    peak=0
    for _ in 1 2 3 4 5; do
        kb=$(/usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1)
        (( kb > peak )) && peak=$kb
    done
    echo "| \`${cmd/#$root\//}\` | $peak |"
done
