#!/usr/bin/env bash
# A local, signed apt repository of small test packages for pkg:// tests (nothing is fetched from the
# network). Packages are built with dpkg-deb, indexed with apt-ftparchive and signed with a throwaway
# gpg key that lives in DIR/gnupg.
#   resh-test-lib   1.0                      (a dependency)
#   resh-test-hello VERSION  Depends: resh-test-lib; /usr/bin/resh-test-hello, conffile /etc/resh-test-hello.conf
#
# usage: pkg-repo.sh build DIR          key + repository with hello 1.0 and lib 1.0 (prints the repo path)
#        pkg-repo.sh publish DIR VER    add resh-test-hello VER to the repository and re-sign it
#        pkg-repo.sh reset DIR          purge every resh-test-* package and release holds (between tests)
#        pkg-repo.sh slowdeb DIR HOLD STARTED   build DIR/slow/resh-test-slow_1.0_all.deb (not in the repository), whose
#                                       postinst touches STARTED and waits (at most 60 s) while the file HOLD exists;
#                                       prints its path
#        pkg-repo.sh clean DIR NAME     remove the apt source NAME (sources file, keyring, lists), purge every
#                                       resh-test-* package, stop the throwaway gpg-agent
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
G=(gpg --homedir "$DIR/gnupg" --batch --quiet --no-tty)

package() { # name version depends
    local name=$1 ver=$2 dep=$3 root="$DIR/build/$1_$2"
    rm -rf "$root"; mkdir -p "$root/DEBIAN" "$root/usr/share/$name" "$root/usr/bin"
    {
        echo "Package: $name"; echo "Version: $ver"; echo "Architecture: all"; echo "Maintainer: resh tests <resh-test@localhost>"
        echo "Installed-Size: 8"; echo "Section: misc"; echo "Priority: optional"
        [[ -n $dep ]] && echo "Depends: $dep"
        echo "Description: resh test package $name"; echo " Built by tests/setup/pkg-repo.sh; safe to remove."
    } > "$root/DEBIAN/control"
    echo "$ver" > "$root/usr/share/$name/VERSION"
    if [[ $name == resh-test-hello ]]; then
        mkdir -p "$root/etc"
        printf '#!/bin/sh\necho "hello %s"\n' "$ver" > "$root/usr/bin/resh-test-hello"; chmod 755 "$root/usr/bin/resh-test-hello"
        echo "greeting=hello" > "$root/etc/resh-test-hello.conf"
        echo "/etc/resh-test-hello.conf" > "$root/DEBIAN/conffiles"
    fi
    dpkg-deb --root-owner-group -Zgzip --build "$root" "$DIR/repo/${name}_${ver}_all.deb" >/dev/null
}

index() {
    rm -f "$DIR/repo/Release" "$DIR/repo/InRelease" "$DIR/repo/Release.gpg"
    (cd "$DIR/repo" && apt-ftparchive packages . > Packages && gzip -9kf Packages \
        && apt-ftparchive -o APT::FTPArchive::Release::Origin=resh-test -o APT::FTPArchive::Release::Label=resh-test release . > ../Release.tmp && mv ../Release.tmp Release)
    rm -f "$DIR/repo/InRelease" "$DIR/repo/Release.gpg"
    "${G[@]}" --clearsign -o "$DIR/repo/InRelease" "$DIR/repo/Release"
    "${G[@]}" -abs -o "$DIR/repo/Release.gpg" "$DIR/repo/Release"
}

case $cmd in
build)
    mkdir -p "$DIR/repo" "$DIR/gnupg"; chmod 700 "$DIR/gnupg"; chmod 755 "$DIR" "$DIR/repo"
    "${G[@]}" --passphrase '' --quick-gen-key 'resh test repository <resh-test@localhost>' ed25519 sign 1d
    "${G[@]}" --armor --export > "$DIR/key.asc"
    package resh-test-lib 1.0 ""
    package resh-test-hello 1.0 "resh-test-lib"
    index
    echo "$DIR/repo"
    ;;
publish)
    package resh-test-hello "$3" "resh-test-lib"
    index
    ;;
slowdeb)
    HOLD=$3; STARTED=$4; root="$DIR/slow/root"
    rm -rf "$DIR/slow"; mkdir -p "$root/DEBIAN" "$root/usr/share/resh-test-slow"
    printf 'Package: resh-test-slow\nVersion: 1.0\nArchitecture: all\nMaintainer: resh tests <resh-test@localhost>\nDescription: resh test package with a slow postinst\n Built by tests/setup/pkg-repo.sh; safe to remove.\n' > "$root/DEBIAN/control"
    printf '#!/bin/sh\ntouch "%s"\ni=0\nwhile [ -e "%s" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\nexit 0\n' "$STARTED" "$HOLD" > "$root/DEBIAN/postinst"
    chmod 755 "$root/DEBIAN/postinst"
    echo 1.0 > "$root/usr/share/resh-test-slow/VERSION"
    dpkg-deb --root-owner-group -Zgzip --build "$root" "$DIR/slow/resh-test-slow_1.0_all.deb" >/dev/null
    echo "$DIR/slow/resh-test-slow_1.0_all.deb"
    ;;
reset)
    pkgs=$(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' 'resh-test-*' 2>/dev/null | awk '$2 != "un" {print $1}' || true)
    if [[ -n $pkgs ]]; then
        apt-mark unhold $pkgs >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive dpkg --purge $pkgs >/dev/null 2>&1 || true
    fi
    ;;
clean)
    NAME=$3
    rm -f "/etc/apt/sources.list.d/$NAME.sources" "/etc/apt/sources.list.d/$NAME.list" "/etc/apt/keyrings/$NAME.gpg"
    # apt's lists for the file: source are named after its path.
    enc=$(echo "$DIR/repo" | sed 's|^/||; s|/|_|g')
    rm -f /var/lib/apt/lists/*"$enc"* 2>/dev/null || true
    pkgs=$(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' 'resh-test-*' 2>/dev/null | awk '$2 != "un" {print $1}' || true)
    if [[ -n $pkgs ]]; then apt-mark unhold $pkgs >/dev/null 2>&1 || true; DEBIAN_FRONTEND=noninteractive dpkg --purge $pkgs >/dev/null 2>&1 || true; fi
    gpgconf --homedir "$DIR/gnupg" --kill gpg-agent 2>/dev/null || true
    ;;
*) echo "usage: $0 build DIR | publish DIR VERSION | clean DIR NAME" >&2; exit 2 ;;
esac
