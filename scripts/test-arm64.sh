#!/usr/bin/env bash
# Builds resh for linux-arm64 (Native AOT, cross-compiled: scripts/build-native.sh linux-arm64), runs a slice
# of end-to-end calls on it under qemu-user (qemu-aarch64-static running the aarch64 loader, no binfmt needed),
# and packages dist/resh_VERSION_arm64.deb (lintian included).
#
# Not part of ./test.sh: a second Native AOT build takes 10-20 minutes on the 2-core CI machine, which the
# suite's 30-minute budget cannot hold next to the x86_64 build. Run it before a release, or after a change
# to the build (csproj, Directory.*.props, Native/, build scripts).
# Prints "arm64: ..." for each passing check; exits non-zero at the first failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v qemu-aarch64-static >/dev/null || ! command -v aarch64-linux-gnu-objdump >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-user-static \
        gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross >&2
fi
"$root/scripts/build-native.sh" linux-arm64
bin="$root/.build/resh-linux-arm64/resh"
fail() { echo "arm64: FAIL: $*" >&2; exit 1; }
# The aarch64 loader runs under qemu as the program, rather than `qemu-aarch64-static -L /usr/aarch64-linux-gnu`:
# -L makes qemu look every absolute path up in that prefix first, so "/" opens the cross sysroot and resh's
# component-wise path walks (openat from "/") land in it ("Cannot write /tmp: it does not exist").
sysroot=/usr/aarch64-linux-gnu
resh() { qemu-aarch64-static "$sysroot/lib/ld-linux-aarch64.so.1" --library-path "$sysroot/lib" "$bin" "$@"; }

file -b "$bin" | grep -q "ARM aarch64" || fail "$bin is not an aarch64 ELF: $(file -b "$bin")"
echo "arm64: $bin is $(file -b "$bin" | cut -d, -f1-2), $(du -m "$bin" | cut -f1) MB"
v="$(resh version --format json)"
[[ "$v" == *'"rid":"linux-arm64"'* && "$v" == *'"arch":"aarch64"'* && "$v" == *'"native_aot":true'* ]] || fail "version: $v"
echo "arm64: version $(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$v") says linux-arm64, aarch64, native"
info="$(resh system://.info --format json)"
[[ "$info" == '{"ok":true,"handle":"system","verb":"info"'* ]] || fail "system://.info: $info"
echo "arm64: system://.info ok"

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
printf 'hello from arm64\n' > "$work/in.txt"
[[ "$(resh "file://$work/in.txt.read" --format raw)" == "hello from arm64" ]] || fail "file.read"
resh "file://$work/out.txt.write" content=written --format json | grep -q '"changed":true' || fail "file.write"
[[ "$(cat "$work/out.txt")" == written ]] || fail "file.write content"
echo "arm64: file.read and file.write ok"
mkdir -p "$work/tree/sub" && printf 'a\n' > "$work/tree/a.txt" && head -c 100000 /dev/urandom > "$work/tree/sub/b.bin"
resh "archive://$work/t.tar.gz" create --sources "$work/tree" --format json | grep -q '"ok":true' || fail "archive.create"
tar -tzf "$work/t.tar.gz" >/dev/null || fail "GNU tar cannot read the archive resh made"
resh "archive://$work/t.tar.gz" extract --destination "$work/x" --format json | grep -q '"ok":true' || fail "archive.extract"
diff -r "$work/tree" "$work/x/tree" >/dev/null 2>&1 || diff -r "$work/tree" "$work/x" >/dev/null || fail "archive round trip changed the tree"
echo "arm64: archive create/extract round trip ok (tar.gz, GNU tar reads it)"
err="$(resh nosuch://x.read --format json || true)"
[[ "$err" == *'"code":"usage"'* ]] || fail "a bad stage is not a usage envelope: $err"
echo "arm64: a bad stage is a usage envelope"

"$root/scripts/package-deb.sh" --arch arm64 --binary "$bin" >/dev/null
deb="$root/dist/resh_$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props")_arm64.deb"
[[ "$(dpkg-deb -f "$deb" Architecture)" == arm64 ]] || fail "$deb is not arm64"
echo "arm64: packaged $deb (lintian clean), Depends: $(dpkg-deb -f "$deb" Depends)"
