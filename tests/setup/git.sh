#!/bin/bash
# Real git remotes for the git:// tests, all under one throwaway DIR:
#   - DIR/srv/app.git: a bare repository (main with two commits, a tag v1, a branch dev), served by
#     `git daemon` on 127.0.0.1:GITPORT (--export-all --enable=receive-pack, so pushes work);
#   - the same directory as a file:// remote;
#   - an sshd on 127.0.0.1:SSHPORT with its own host key and a throwaway client key (DIR/client_ed25519),
#     DIR/ssh_config for `ssh -F` (GIT_SSH_COMMAND in the tests), root's .bashrc blanked in its mount namespace.
#   - a smart-HTTP server (tests/setup/git-http.py: git http-backend behind HTTP Basic auth) on 127.0.0.1:HTTPPORT,
#     user `deploy`, the token in DIR/token (0600): the token tests' remote.
# usage: git.sh up DIR GITPORT SSHPORT HTTPPORT   |   git.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")

wait_pid() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "no pid file $1" >&2; return 1; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; return 1; }

case $cmd in
up)
  GITPORT=$3; SSHPORT=$4; HTTPPORT=$5
  mkdir -p "$DIR/srv" /run/sshd
  export GIT_AUTHOR_NAME=Seed GIT_AUTHOR_EMAIL=seed@example.com GIT_COMMITTER_NAME=Seed GIT_COMMITTER_EMAIL=seed@example.com
  git init -q --bare -b main "$DIR/srv/app.git"
  git init -q -b main "$DIR/seed"
  echo "one" > "$DIR/seed/README"
  git -C "$DIR/seed" add README && git -C "$DIR/seed" commit -q -m "first commit"
  git -C "$DIR/seed" tag -a v1 -m "version 1"
  echo "two" >> "$DIR/seed/README"
  git -C "$DIR/seed" commit -q -am "second commit" -m "with a body"
  git -C "$DIR/seed" branch dev HEAD~1
  git -C "$DIR/seed" push -q "$DIR/srv/app.git" main dev v1
  rm -rf "$DIR/seed"
  git daemon --detach --pid-file="$DIR/daemon.pid" --reuseaddr --listen=127.0.0.1 --port="$GITPORT" \
    --export-all --base-path="$DIR/srv" --enable=receive-pack --informative-errors "$DIR/srv"
  wait_pid "$DIR/daemon.pid"; wait_port "$GITPORT"

  ssh-keygen -q -t ed25519 -N '' -C git-test-host -f "$DIR/host_ed25519" <<<y >/dev/null
  ssh-keygen -q -t ed25519 -N '' -C git-test-client -f "$DIR/client_ed25519" <<<y >/dev/null
  cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"; chmod 600 "$DIR/authorized_keys"
  cat > "$DIR/sshd.conf" <<CFG
ListenAddress 127.0.0.1
Port $SSHPORT
HostKey $DIR/host_ed25519
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
CFG
  echo "[127.0.0.1]:$SSHPORT $(cut -d' ' -f1,2 "$DIR/host_ed25519.pub")" > "$DIR/known_hosts"
  cat > "$DIR/ssh_config" <<CFG
Host *
  User root
  Port $SSHPORT
  IdentityFile $DIR/client_ed25519
  IdentitiesOnly yes
  BatchMode yes
  UserKnownHostsFile $DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  ConnectTimeout 5
CFG
  : > "$DIR/empty-rc"
  ROOT_RC="$(getent passwd root | cut -d: -f6)/.bashrc"
  /usr/sbin/sshd -t -f "$DIR/sshd.conf"
  unshare -m --propagation private sh -c "[ -f $ROOT_RC ] && mount --bind $DIR/empty-rc $ROOT_RC; exec /usr/sbin/sshd -f $DIR/sshd.conf -E $DIR/sshd.log"
  wait_pid "$DIR/sshd.pid"

  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$DIR/token")
  setsid python3 "$(dirname "$0")/git-http.py" "$HTTPPORT" "$DIR/srv" deploy "$DIR/token" "$DIR/http.pid" </dev/null >"$DIR/http.log" 2>&1 &
  wait_pid "$DIR/http.pid"; wait_port "$HTTPPORT"
  ;;
down)
  for pidfile in "$DIR/daemon.pid" "$DIR/sshd.pid" "$DIR/http.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    children=$(pgrep -P "$pid" || true)
    kill "$pid" 2>/dev/null || true
    for c in $children; do kill "$c" 2>/dev/null || true; done
    rm -f "$pidfile"
  done
  ;;
*) echo "usage: $0 up DIR GITPORT SSHPORT HTTPPORT | down DIR" >&2; exit 2 ;;
esac
