#!/bin/bash
# Real mail backends for the mail:// tests, all under one throwaway DIR, on loopback ports the caller picked free:
#   - a test CA (DIR/ca.pem) and a server certificate it signed for 127.0.0.1 / localhost;
#   - SMTP with STARTTLS and AUTH (required) on SMTP_PORT, user test, password in DIR/password;
#   - plain SMTP (no TLS; AUTH offered in the clear, never required) on PLAIN_PORT;
#   - Dovecot IMAP (STARTTLS) on IMAP_PORT with the same user, a private config (never /etc/dovecot).
# Both SMTP servers store what they accept, byte for byte, in the IMAP user's Maildir (DIR/mail/test), so a
# message sent over SMTP is then read back over IMAP.
# usage: mail.sh up DIR SMTP_PORT PLAIN_PORT IMAP_PORT   |   mail.sh down DIR
set -euo pipefail
cmd=$1; DIR=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 did not open" >&2; return 1; }
case $cmd in
up)
  SMTP_PORT=$3; PLAIN_PORT=$4; IMAP_PORT=$5
  mkdir -p "$DIR/run" "$DIR/mail/test"/{cur,new,tmp}
  chmod 755 "$DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 -subj "/CN=resh mail test CA" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$DIR/server.ext"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial -days 2 \
    -extfile "$DIR/server.ext" -out "$DIR/server.pem" 2>/dev/null
  chmod 644 "$DIR/server.key"
  printf 'testpw\n' > "$DIR/password"
  echo "test:{PLAIN}testpw::::::" > "$DIR/users"
  uid=$(id -u dovenull); gid=$(id -g dovenull)
  chown -R dovenull:dovenull "$DIR/mail"
  cat > "$DIR/dovecot.conf" <<CFG
base_dir = $DIR/run
state_dir = $DIR/run
instance_name = resh-mail-$IMAP_PORT
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DIR/server.pem
ssl_key = <$DIR/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
log_path = $DIR/dovecot.log
mail_location = maildir:$DIR/mail/%u
first_valid_uid = 1
# the tests and bench/mail.sh open many short sessions in a row; dovecot's default is 10 per user and address
protocol imap {
  mail_max_userip_connections = 200
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Archive {
    auto = create
    special_use = \\Archive
  }
  mailbox Trash {
    auto = create
    special_use = \\Trash
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DIR/users
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=$DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
CFG
  # daemonizes (master pid in DIR/run/master.pid); its descriptors must not hold the caller's pipes open
  dovecot -c "$DIR/dovecot.conf" </dev/null >"$DIR/dovecot.out" 2>&1
  /usr/bin/python3 "$here/mail-smtp.py" --maildir "$DIR/mail/test" --port "$SMTP_PORT" --cert "$DIR/server.pem" --key "$DIR/server.key" \
    --user test --password-file "$DIR/password" --require-auth --uid "$uid" --gid "$gid" </dev/null > "$DIR/smtp.log" 2>&1 &
  echo $! > "$DIR/smtp.pid"
  /usr/bin/python3 "$here/mail-smtp.py" --maildir "$DIR/mail/test" --port "$PLAIN_PORT" \
    --user test --password-file "$DIR/password" --uid "$uid" --gid "$gid" </dev/null > "$DIR/plain.log" 2>&1 &
  echo $! > "$DIR/plain.pid"
  wait_port "$SMTP_PORT"; wait_port "$PLAIN_PORT"; wait_port "$IMAP_PORT"
  ;;
down)
  for f in smtp plain; do
    [[ -f "$DIR/$f.pid" ]] && kill "$(cat "$DIR/$f.pid")" 2>/dev/null || true
  done
  if [[ -f "$DIR/run/master.pid" ]]; then
    pid=$(cat "$DIR/run/master.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
  ;;
esac
