#!/usr/bin/python3
# SMTP test server for the mail:// tests (Debian's python3-aiosmtpd): stores each accepted message, byte for
# byte as received (after dot-unstuffing), in a Maildir's new/ (tmp/ then rename), so the IMAP server reading
# that Maildir serves exactly what the client sent. Optional STARTTLS (cert/key) and AUTH PLAIN/LOGIN against
# one user whose password is read from a file (never argv).
# usage: mail-smtp.py --maildir DIR --port N [--cert C --key K] [--user U --password-file F] [--require-auth]
import argparse, os, signal, socket, ssl, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--maildir", required=True); ap.add_argument("--port", type=int, required=True)
ap.add_argument("--cert"); ap.add_argument("--key")
ap.add_argument("--user"); ap.add_argument("--password-file")
ap.add_argument("--require-auth", action="store_true")
ap.add_argument("--uid", type=int); ap.add_argument("--gid", type=int)
a = ap.parse_args()
password = open(a.password_file).read().strip() if a.password_file else None

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and a.user is not None and \
         auth_data.login.decode() == a.user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False)

seq = 0
class Store:
    async def handle_DATA(self, server, session, envelope):
        global seq
        seq += 1
        name = f"{time.time_ns()}.P{os.getpid()}Q{seq}.{socket.gethostname()}"
        tmp = os.path.join(a.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content)
        if a.uid is not None: os.chown(tmp, a.uid, a.gid)
        os.rename(tmp, os.path.join(a.maildir, "new", name))
        print(f"stored {name} from={envelope.mail_from} to={envelope.rcpt_tos} auth={session.authenticated}", flush=True)
        return "250 OK stored"

tls = None
if a.cert:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); tls.load_cert_chain(a.cert, a.key)
kwargs = dict(hostname="127.0.0.1", port=a.port, server_hostname="localhost", decode_data=False)
if tls: kwargs.update(tls_context=tls, require_starttls=False)
if a.user: kwargs.update(authenticator=authenticator, auth_required=a.require_auth, auth_require_tls=tls is not None)
c = Controller(Store(), **kwargs)
c.start(); print(f"listening 127.0.0.1:{a.port}", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT}); c.stop()
