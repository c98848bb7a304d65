#!/usr/bin/env bash
# Debian packages the test suite needs; installs only what is missing.
set -euo pipefail
packages=(
    attr        # getfattr/setfattr: cross-check file.ea.*
    systemd-container  # systemd-nspawn: svc:// and cron:// timers against a real systemd (PID 1 in a container)
    cron        # cron:// fire test: a real cron daemon in its own mount namespace
    openrc      # svc:// OpenRC backend in a sandbox (adds a few scripts to /etc/init.d; starts nothing)
    procps      # ps, for proc:// cross-checks and bench/proc-svc.sh
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
