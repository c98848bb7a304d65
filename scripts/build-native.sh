#!/usr/bin/env bash
# Publishes the Native AOT binary: scripts/build-native.sh [RID]. linux-x64 (the default) goes to
# .build/resh/resh; another RID (linux-arm64) to .build/resh-RID/resh, cross-compiled with the GNU cross
# toolchain (gcc-aarch64-linux-gnu, installed here when missing). Installs the .NET SDK and a C toolchain
# first when they are missing (fresh Debian), and serialises concurrent builds with a lock.
# The build date `resh version` shows is SOURCE_DATE_EPOCH when set (reproducible packages), else now.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rid="${1:-linux-x64}"
case "$rid" in
    linux-x64) out="$root/.build/resh"; cross=() ;;
    linux-arm64)
        out="$root/.build/resh-$rid"
        # The GNU cross compiler links (through a wrapper that drops the clang-only --target= the ILCompiler
        # targets pass) and the GNU cross objcopy strips.
        cross=(-p:CppCompilerAndLinker="$root/scripts/cross/aarch64-linux-gnu-cc" -p:ObjCopyName=aarch64-linux-gnu-objcopy) ;;
    *) echo "build-native.sh: unsupported RID $rid (linux-x64 or linux-arm64)" >&2; exit 2 ;;
esac
mkdir -p "$root/.build"
"$root/scripts/install-prereqs.sh"
if [[ "$rid" == linux-arm64 ]] && ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross >&2
fi
[[ -x "$HOME/.dotnet/dotnet" ]] && ! command -v dotnet >/dev/null && export PATH="$HOME/.dotnet:$PATH"
exec 9>"$root/.build/build.lock"
flock 9
# Another process may have finished the build while we waited for the lock.
if [[ -x "$out/resh" && -z "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
        \( -name bin -o -name obj \) -prune -o -newer "$out/resh" -type f -print -quit 2>/dev/null)" ]]; then
    exit 0
fi
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo dev)"
built="$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)"
echo "resh: building the native binary for $rid (first use or sources changed)..." >&2
start=$(date +%s)
dotnet publish "$root/src/Resh.Cli/Resh.Cli.csproj" -c Release -r "$rid" -o "$out.tmp" \
    -p:SourceRevisionId="$commit" -p:ReshBuildDate="$built" "${cross[@]}" -nologo -clp:ErrorsOnly -v:quiet >&2
rm -f "$out.tmp/"*.dbg "$out.tmp/"*.pdb
# The MCP tools' JSON, made by the new binary from its own declarations and appended to it (McpToolTable): the
# first tools/list of a fresh binary copies it instead of exporting every result schema. Only where the binary runs.
if [[ "$rid" == linux-x64 && "$(uname -m)" == x86_64 ]]; then
    scratch="$(mktemp -d)"
    touch "$scratch/config.toml"
    RESH_HOME="$scratch/home" RESH_CONFIG="$scratch/config.toml" RESH_MCP_DUMP_TOOLS="$scratch/tools.bin" "$out.tmp/resh" mcp </dev/null
    cat "$scratch/tools.bin" >> "$out.tmp/resh"
    rm -rf "$scratch"
fi
# The agent front (src/Resh.AgentFront, issue 21): its own small Native AOT program, zlib-compressed and appended as the
# last section (AppendedData reads both); `resh agent` execs it from a memfd so an idle agent is not the full image.
dotnet publish "$root/src/Resh.AgentFront/Resh.AgentFront.csproj" -c Release -r "$rid" -o "$out.front" \
    "${cross[@]}" -nologo -clp:ErrorsOnly -v:quiet >&2
/usr/bin/env python3 - "$out.front/resh-agent-front" "$out.tmp/resh" <<'PY'
import struct, sys, zlib
front = zlib.compress(open(sys.argv[1], "rb").read(), 9)
with open(sys.argv[2], "ab") as f:
    f.write(front + struct.pack("<q", len(front)) + b"RESHFRNT")
PY
rm -rf "$out.front"
rm -rf "$out"
mv "$out.tmp" "$out"
touch "$out/resh"
echo "resh: built $out/resh in $(( $(date +%s) - start ))s" >&2
