# tlscerts.py: throwaway certificates for the simulator, made with `openssl`.
#
# At every start the simulator makes, in its state directory:
#   ca.pem           a test CA; clients trust it to reach the simulator
#   other-ca.pem     an unrelated CA; trusting it instead must fail verification
#   tls/server.pem   signed by ca.pem, SAN IP:127.0.0.1 and DNS:localhost
#   tls/expired.pem  signed by ca.pem, same names, validity ended yesterday
#   tls/wronghost.pem  signed by ca.pem, valid, but its only SAN is
#                    DNS:wrong.example (a host name mismatch for 127.0.0.1)
# All server certificates share tls/server.key.  Keys are P-256 EC.
#
# OpenSSL 3.0 (Debian 12) cannot back-date with `openssl x509 -req`, so the
# expired certificate comes from `openssl ca` with -startdate/-enddate and a
# minimal CA configuration written here.  The certificates carry the key
# identifiers and key usages that strict verifiers (X509_STRICT) ask for.

import datetime
import os
import secrets
import subprocess

OPENSSL_TIMEOUT = 60

REQ_CONFIG = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
"""

SERVER_EXTENSIONS = """\
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {san}
"""

CA_CONFIG = """\
[ ca ]
default_ca = sim_ca
[ sim_ca ]
database = {db}/index.txt
new_certs_dir = {db}
serial = {db}/serial
certificate = {ca_cert}
private_key = {ca_key}
default_md = sha256
policy = sim_policy
unique_subject = no
email_in_dn = no
x509_extensions = server
[ sim_policy ]
commonName = supplied
""" + SERVER_EXTENSIONS

GOOD_SAN = "IP:127.0.0.1, DNS:localhost"
WRONG_SAN = "DNS:wrong.example"


class CertificateError(RuntimeError):
    """openssl failed; the message holds its complaint."""


def openssl(*args, cwd):
    try:
        done = subprocess.run(("openssl",) + args, cwd=cwd, capture_output=True,
                              timeout=OPENSSL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CertificateError("cannot run openssl: %s" % e)
    if done.returncode != 0:
        raise CertificateError("openssl %s failed: %s"
                               % (args[0], done.stderr.decode(errors="replace").strip()))


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def make_ca(tls_dir, cert_path, key_name, common_name):
    """A self-signed CA certificate at CERT_PATH, its key in TLS_DIR."""
    openssl("req", "-x509", "-new", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key_name, "-out", cert_path, "-days", "30",
            "-subj", "/CN=" + common_name, "-config", "req.cnf",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=tls_dir)


def sign(tls_dir, csr, out, san, ca_cert, ca_key):
    """A server certificate for CSR with subjectAltName SAN, valid 30 days."""
    ext = out + ".ext"
    write(os.path.join(tls_dir, ext), SERVER_EXTENSIONS.format(san=san))
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
            "-set_serial", "0x" + secrets.token_hex(8), "-days", "30", "-sha256",
            "-extfile", ext, "-extensions", "server", "-out", out, cwd=tls_dir)


def sign_expired(tls_dir, csr, out, ca_cert, ca_key):
    """A certificate like the server's whose validity ended a day ago."""
    db = os.path.join(tls_dir, "ca-db")
    os.makedirs(db, exist_ok=True)
    write(os.path.join(db, "index.txt"), "")
    write(os.path.join(db, "serial"), secrets.token_hex(8).upper() + "\n")
    write(os.path.join(tls_dir, "ca.cnf"),
          CA_CONFIG.format(db=db, ca_cert=ca_cert, ca_key=os.path.join(tls_dir, ca_key),
                           san=GOOD_SAN))
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = "%Y%m%d%H%M%SZ"
    openssl("ca", "-batch", "-config", "ca.cnf", "-in", csr, "-out", out, "-notext",
            "-startdate", (now - datetime.timedelta(days=2)).strftime(stamp),
            "-enddate", (now - datetime.timedelta(days=1)).strftime(stamp), cwd=tls_dir)


def make_certificates(state_dir):
    """
    Make every certificate the simulator needs; return a dict of absolute
    paths: ca, other_ca, key, server, expired, wronghost.
    """
    tls_dir = os.path.join(state_dir, "tls")
    os.makedirs(tls_dir, exist_ok=True)
    os.chmod(tls_dir, 0o755)
    write(os.path.join(tls_dir, "req.cnf"), REQ_CONFIG)
    ca = os.path.join(state_dir, "ca.pem")
    other_ca = os.path.join(state_dir, "other-ca.pem")

    make_ca(tls_dir, ca, "ca.key", "Fourthline simulator test CA")
    make_ca(tls_dir, other_ca, "other-ca.key", "Unrelated test CA")

    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1", "-config", "req.cnf", cwd=tls_dir)
    openssl("req", "-new", "-key", "server.key", "-out", "wronghost.csr",
            "-subj", "/CN=wrong.example", "-config", "req.cnf", cwd=tls_dir)
    sign(tls_dir, "server.csr", "server.pem", GOOD_SAN, ca, "ca.key")
    sign(tls_dir, "wronghost.csr", "wronghost.pem", WRONG_SAN, ca, "ca.key")
    sign_expired(tls_dir, "server.csr", "expired.pem", ca, "ca.key")

    for name in ("ca.key", "other-ca.key", "server.key"):
        os.chmod(os.path.join(tls_dir, name), 0o600)
    for path in (ca, other_ca):
        os.chmod(path, 0o644)
    for name in ("server.pem", "expired.pem", "wronghost.pem"):
        os.chmod(os.path.join(tls_dir, name), 0o644)
    return {
        "ca": ca, "other_ca": other_ca,
        "key": os.path.join(tls_dir, "server.key"),
        "server": os.path.join(tls_dir, "server.pem"),
        "expired": os.path.join(tls_dir, "expired.pem"),
        "wronghost": os.path.join(tls_dir, "wronghost.pem"),
    }
