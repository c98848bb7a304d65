#!/usr/bin/env bash
# Debian packages the test suite needs; installs only what is missing.
set -euo pipefail
packages=(
    attr        # getfattr/setfattr: cross-check file.ea.*
    patch       # file.write: generated diffs must apply with patch(1)
    mount       # file.delete: tests mount a tmpfs to check the mount-point guard
    util-linux  # setpriv: file:// permission tests run resh as nobody
)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "test deps: installing ${missing[*]}" >&2
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
