#!/usr/bin/env bash
# What building resh needs on a fresh Debian machine: the .NET 10 SDK and a C toolchain for Native AOT linking.
set -euo pipefail
need=()
command -v clang >/dev/null || command -v gcc >/dev/null || need+=(clang)
[[ -e /usr/include/zlib.h ]] || need+=(zlib1g-dev)
if ((${#need[@]})); then
    echo "resh: installing build prerequisites: ${need[*]}" >&2
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
    $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >&2
fi
if ! command -v dotnet >/dev/null || ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
    echo "resh: installing the .NET 10 SDK" >&2
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    if ! $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq dotnet-sdk-10.0 >&2 2>/dev/null; then
        installer="$(mktemp)"
        curl -fsSL https://dot.net/v1/dotnet-install.sh -o "$installer"
        bash "$installer" --channel 10.0 --install-dir "$HOME/.dotnet" >&2
        rm -f "$installer"
        export PATH="$HOME/.dotnet:$PATH"
        echo "resh: .NET installed in ~/.dotnet; add it to PATH for later shells." >&2
    fi
fi
