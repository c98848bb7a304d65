#!/bin/bash
# One throwaway sshd on 127.0.0.1:PORT for the backup:// SFTP tests (restic's sftp backend, borg serve over ssh).
# Everything lives under DIR: host key, client key, authorized_keys, sshd config and pid file, and DIR/ssh_config,
# the client config resh is handed with ssh_config= (alias `backupbox`, strict host key checking against DIR/known_hosts).
# usage: backup-sshd.sh up DIR PORT   |   backup-sshd.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
case $cmd in
up)
  PORT=$3
  mkdir -p "$DIR" /run/sshd
  chmod 700 "$DIR"
  ssh-keygen -q -t ed25519 -N '' -C backup-host -f "$DIR/host_key" <<<y >/dev/null
  ssh-keygen -q -t ed25519 -N '' -C backup-client -f "$DIR/client_key" <<<y >/dev/null
  cp "$DIR/client_key.pub" "$DIR/authorized_keys"
  cat > "$DIR/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $PORT
HostKey $DIR/host_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
CFG
  echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$DIR/host_key.pub")" > "$DIR/known_hosts"
  cat > "$DIR/ssh_config" <<CFG
Host backupbox
  HostName 127.0.0.1
  Port $PORT
  User root
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  ConnectTimeout 5
CFG
  /usr/sbin/sshd -f "$DIR/sshd_config"
  for _ in $(seq 100); do [ -s "$DIR/sshd.pid" ] && break; sleep 0.05; done
  [ -s "$DIR/sshd.pid" ] || { echo "sshd did not start" >&2; exit 1; }
  for _ in $(seq 100); do ssh -F "$DIR/ssh_config" -o BatchMode=yes backupbox true 2>/dev/null && exit 0; sleep 0.1; done
  echo "sshd on port $PORT does not answer" >&2; exit 1 ;;
down)
  if [ -s "$DIR/sshd.pid" ]; then kill "$(cat "$DIR/sshd.pid")" 2>/dev/null || true; fi ;;
*) echo "usage: $0 up DIR PORT | down DIR" >&2; exit 2 ;;
esac
