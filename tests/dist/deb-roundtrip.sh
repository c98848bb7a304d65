#!/usr/bin/env bash
# tests/dist/deb-roundtrip.sh DEB: installs DEB with apt in a throwaway copy of this system, checks the
# installed resh (a call, man pages, a completion, the conffile), purges it and checks nothing is left.
#
# The copy is an overlayfs over / (its upper and work dirs on a tmpfs) in a private mount namespace,
# entered with chroot: the host's dpkg database, /usr and /etc are never written. Every mount lives in
# that namespace, so they all go when it ends, even on failure; the trap also unmounts them, and nothing
# is ever removed with rm -r (a still-mounted /dev under the copy must never be walked).
# Prints "check: ..." lines for what passed; exits non-zero at the first failure.
set -euo pipefail
deb="$(realpath "$1")"
if [[ "${RESH_DEB_NAMESPACE:-}" != 1 ]]; then
    exec unshare --mount --propagation private env RESH_DEB_NAMESPACE=1 "$0" "$deb"
fi
tmp="$(mktemp -d /tmp/resh-deb.XXXXXX)"
cleanup() {
    umount -R "$tmp" 2>/dev/null || umount -R -l "$tmp" 2>/dev/null || true
    rmdir "$tmp" 2>/dev/null || true
}
trap cleanup EXIT
mount -t tmpfs -o size=2g,mode=0700 resh-deb "$tmp"
mkdir "$tmp/upper" "$tmp/work" "$tmp/root"
mount -t overlay resh-deb -o "lowerdir=/,upperdir=$tmp/upper,workdir=$tmp/work" "$tmp/root"
r="$tmp/root"
mount --rbind /dev "$r/dev" && mount --make-rslave "$r/dev"
mount -t proc proc "$r/proc"
mount -t tmpfs tmpfs "$r/tmp"
mount -t tmpfs tmpfs "$r/run"
cp "$deb" "$r/tmp/"
name="$(basename "$deb")"
version="$(dpkg-deb -f "$deb" Version)"

chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    RESH_VERSION="$version" NAME="$name" /bin/bash -euo pipefail -c '
fail() { echo "FAIL: $*" >&2; exit 1; }
dpkg -s resh >/dev/null 2>&1 && fail "resh is already installed in the copy"
apt-get install -y -q --no-install-recommends "./tmp/$NAME" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log >&2; fail "apt install"; }
echo "check: apt installed $NAME"
dpkg -L resh | sort > /tmp/files
[[ "$(command -v resh)" == /usr/bin/resh ]] || fail "resh is not /usr/bin/resh"
info="$(resh system://.info --format json)"
[[ "$info" == "{\"ok\":true,\"handle\":\"system\",\"verb\":\"info\""* ]] || fail "resh system://.info: $info"
echo "check: resh system://.info answered ok"
v="$(resh version --format json)"
[[ "$v" == *"\"version\":\"$RESH_VERSION\""* ]] || fail "resh version: $v"
echo "check: resh version is $RESH_VERSION"
page="$(MANPAGER=cat MANWIDTH=80 man resh 2>&1)" || fail "man resh: $page"
grep -q "^RESH(1)" <<<"$page" || fail "man resh rendered no RESH(1) header: ${page:0:300}"
grep -q "resh-file" <<<"$page" || fail "man resh names no handle page"
page="$(MANPAGER=cat MANWIDTH=80 man resh-file 2>&1)" || fail "man resh-file: $page"
grep -q "^RESH-FILE(1)" <<<"$page" || fail "man resh-file rendered no RESH-FILE(1) header"
echo "check: man resh and man resh-file render"
n=$(grep -c "^/usr/share/man/man1/resh-.*\.1\.gz$" /tmp/files)
[[ $n -ge 5 ]] || fail "only $n handle man pages"
echo "check: $n handle man pages installed"
out="$(bash -c "source /usr/share/bash-completion/completions/resh; complete -p resh; COMP_WORDS=(resh fi); COMP_CWORD=1; COMP_LINE=\"resh fi\"; COMP_POINT=7; _resh_complete; printf \"%s\n\" \"\${COMPREPLY[@]}\"")"
grep -q "^complete .* resh$" <<<"$out" || fail "bash completion did not register: $out"
grep -q "^file:" <<<"$out" || fail "bash completion offered no file: for \"resh fi\": $out"
echo "check: bash completion loads and completes resh fi -> file://"
[[ -s /usr/share/zsh/vendor-completions/_resh && -s /usr/share/fish/vendor_completions.d/resh.fish ]] || fail "zsh/fish completions missing"
grep -qx /etc/resh/config.toml /var/lib/dpkg/info/resh.conffiles || fail "config.toml is not a conffile"
RESH_CONFIG=/etc/resh/config.toml resh system://.hostname --format json >/dev/null || fail "resh does not accept the shipped config.toml"
echo "check: /etc/resh/config.toml is a conffile resh reads"
unit=/lib/systemd/system/resh-serve.service
[[ -f $unit ]] || fail "$unit is not installed"
out="$(systemd-analyze verify "$unit" 2>&1)" || fail "systemd-analyze verify $unit: $out"
[[ -z "$out" ]] || fail "systemd-analyze verify $unit warned: $out"
grep -qx "ExecStart=/usr/bin/resh serve --listen 127.0.0.1:8080 --mcp" "$unit" || fail "$unit does not run resh serve on loopback"
for d in /etc/systemd/system/*.wants; do [[ ! -e "$d/resh-serve.service" ]] || fail "resh-serve.service was enabled ($d)"; done
echo "check: resh-serve.service verifies and is not enabled"
apt-get purge -y -q resh >/tmp/apt.log 2>&1 || { cat /tmp/apt.log >&2; fail "apt purge"; }
dpkg -s resh >/dev/null 2>&1 && fail "dpkg still knows resh after purge"
left=0
while read -r f; do
    case "$f" in /.|/lib|/lib/systemd|/lib/systemd/system|/etc|/usr|/usr/bin|/usr/share|/usr/share/*/|/usr/share/man|/usr/share/man/man1|/usr/share/doc|/usr/share/bash-completion|/usr/share/bash-completion/completions|/usr/share/zsh|/usr/share/zsh/vendor-completions|/usr/share/fish|/usr/share/fish/vendor_completions.d) continue ;; esac
    # A directory another installed package also owns (/usr/share/lintian/overrides with lintian) stays.
    if [[ -d "$f" && ! -L "$f" ]] && dpkg-query -S "$f" >/dev/null 2>&1; then continue; fi
    if [[ -e "$f" || -L "$f" ]]; then echo "left behind: $f" >&2; left=1; fi
done < /tmp/files
[[ $left == 0 ]] || fail "purge left files of the package"
[[ ! -e /var/lib/dpkg/info/resh.list && ! -e /var/lib/dpkg/info/resh.conffiles ]] || fail "dpkg info files left"
echo "check: purge removed all $(wc -l < /tmp/files) paths of the package, /etc/resh included"
'
