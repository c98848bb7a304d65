#!/usr/bin/env bash
# File-system images for the fs:// and snapshot:// tests.
#   loopfs.sh make IMAGE FSTYPE SIZE   creates IMAGE (sparse) and makes FSTYPE on it
#   loopfs.sh destroy IMAGE            unmounts anything backed by IMAGE, detaches its loop devices, deletes it
set -euo pipefail
cmd=$1 img=$2
case "$cmd" in
make)
    fstype=$3 size=$4
    rm -f "$img"; truncate -s "$size" "$img"
    case "$fstype" in
        ext4)  mkfs.ext4 -q -F "$img" ;;
        xfs)   mkfs.xfs -q -f "$img" ;;
        btrfs) mkfs.btrfs -q -f "$img" >/dev/null ;;
        *) echo "unknown fstype $fstype" >&2; exit 2 ;;
    esac ;;
destroy)
    for dev in $(losetup -j "$img" -O NAME -n 2>/dev/null); do
        grep -F " $dev " /proc/self/mountinfo | awk '{print $5}' | while read -r mp; do umount -l "$mp" || true; done
        losetup -d "$dev" 2>/dev/null || true
    done
    rm -f "$img" ;;
esac
