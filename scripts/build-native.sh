#!/usr/bin/env bash
# Publishes the Native AOT binary to .build/resh/resh. Installs the .NET SDK and a C toolchain first
# when they are missing (fresh Debian), and serialises concurrent builds with a lock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.build/resh"
mkdir -p "$root/.build"
"$root/scripts/install-prereqs.sh"
[[ -x "$HOME/.dotnet/dotnet" ]] && ! command -v dotnet >/dev/null && export PATH="$HOME/.dotnet:$PATH"
exec 9>"$root/.build/build.lock"
flock 9
# Another process may have finished the build while we waited for the lock.
if [[ -x "$out/resh" && -z "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
        \( -name bin -o -name obj \) -prune -o -newer "$out/resh" -type f -print -quit 2>/dev/null)" ]]; then
    exit 0
fi
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo dev)"
echo "resh: building the native binary (first use or sources changed)..." >&2
start=$(date +%s)
dotnet publish "$root/src/Resh.Cli/Resh.Cli.csproj" -c Release -r linux-x64 -o "$out.tmp" \
    -p:SourceRevisionId="$commit" -nologo -clp:ErrorsOnly -v:quiet >&2
rm -f "$out.tmp/"*.dbg "$out.tmp/"*.pdb
rm -rf "$out"
mv "$out.tmp" "$out"
touch "$out/resh"
echo "resh: built $out/resh in $(( $(date +%s) - start ))s" >&2
