#!/usr/bin/env python3
# pdfsign.py: how the simulator signs a document, as PAdES does.
#
# A PAdES signature is an incremental update: the uploaded bytes stay exactly
# as they were and a new section is appended after them.  The section holds
#   - a signature dictionary (/Type /Sig /Filter /Adobe.PPKLite
#     /SubFilter /ETSI.CAdES.detached) whose /ByteRange [0 a b c] covers the
#     whole file except its /Contents hex string, and whose /Contents holds a
#     detached CMS SignedData (SHA-256, signingTime, ESS signing-certificate-v2)
#     made by `openssl cms -sign` over the covered bytes;
#   - an invisible signature field that is its own widget annotation
#     (/FT /Sig /V sig, /Subtype /Widget /Rect [0 0 0 0] /F 132 /P page);
#   - a new version of the first page, with the widget added to /Annots;
#   - a new version of the catalog, with /AcroForm << /Fields [...]
#     /SigFlags 3 >> (or a new version of an existing AcroForm object);
#   - a new cross-reference section (a classic table, or a cross-reference
#     stream when the original's last one is a stream) and a trailer with
#     /Prev and /Root.
# The original's objects are found through its cross-reference (pdfobjects.py:
# classic tables, xref streams, object streams).  An original that cannot be
# read that way (no startxref, encrypted, an unsupported filter) still gets a
# signature dictionary with a valid CMS signature, but no field, so PDF
# readers list no signature for it.
#
# The signer is a throwaway chain made with `openssl` at start
# (make_signing_chain): a root CA, an intermediate CA and a signer
# certificate (digitalSignature, nonRepudiation).  The state directory gets
#   signing-ca.pem          the root: the trust anchor of a verifier
#   signing/                keys and certificates (keys 0600)
#
# Interface: sign_pdf(original_bytes, signer_name) -> signed_bytes.
#
# As a command, for tests:
#   pdfsign.py make-chain DIR [--key rsa|ec] [--name TEXT]
#       a chain in DIR (DIR/signing-ca.pem, DIR/signing/)
#   pdfsign.py sign --chain DIR IN OUT [--name TEXT]
#       sign IN with the chain in DIR

import argparse
import atexit
import datetime
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pdfobjects                       # noqa: E402
import tlscerts                         # noqa: E402
from pdfobjects import Name, Ref, PdfError      # noqa: E402

CONTENTS_BYTES = 8192       # room reserved for the CMS blob (hex doubles it)
BYTERANGE_WIDTH = 4 * 11    # four numbers of up to 10 digits, and spaces
OPENSSL_TIMEOUT = 60
WIDGET_FLAGS = 132          # Print | Locked


class SigningError(RuntimeError):
    """openssl failed, or the chain is missing."""


# -- the throwaway signing chain -----------------------------------------------

REQ_CONFIG = tlscerts.REQ_CONFIG      # the same minimal openssl req configuration

EXTENSIONS = """\
[ intermediate ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

_chain = None               # the chain sign_pdf uses unless given one
_chain_lock = threading.Lock()


def openssl(*args, cwd=None, data=None):
    try:
        done = subprocess.run(("openssl",) + args, cwd=cwd, input=data,
                              capture_output=True, timeout=OPENSSL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SigningError("cannot run openssl: %s" % e)
    if done.returncode != 0:
        raise SigningError("openssl %s failed: %s"
                           % (args[0], done.stderr.decode(errors="replace").strip()))
    return done.stdout


def key_args(kind):
    if kind == "ec":
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    return ["-newkey", "rsa:2048"]


def make_signing_chain(state_dir, key="rsa", name="Fourthline simulator"):
    """
    Make a root CA, an intermediate CA and a signer certificate in
    STATE_DIR/signing/, write the root to STATE_DIR/signing-ca.pem
    (world-readable), make the chain the one sign_pdf uses, and return it
    (a dict of paths: root, intermediate, signer, signer_key).
    """
    global _chain
    d = os.path.join(state_dir, "signing")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "req.cnf"), "w") as f:
        f.write(REQ_CONFIG)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write(EXTENSIONS)
    subj = "/O=%s/CN=" % name.replace("/", " ")
    openssl("req", "-x509", "-new", *key_args(key), "-nodes", "-sha256",
            "-keyout", "root.key", "-out", "root.pem", "-days", "3650",
            "-subj", subj + "Root signing CA", "-config", "req.cnf",
            "-set_serial", "0x" + secrets.token_hex(8),
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for who, issuer, days in (("intermediate", "root", 1825), ("signer", "intermediate", 365)):
        cn = "Intermediate signing CA" if who == "intermediate" else "Qualified signer"
        openssl("req", "-new", *key_args(key), "-nodes", "-keyout", who + ".key",
                "-out", who + ".csr", "-subj", subj + cn, "-config", "req.cnf", cwd=d)
        openssl("x509", "-req", "-in", who + ".csr", "-CA", issuer + ".pem",
                "-CAkey", issuer + ".key", "-set_serial", "0x" + secrets.token_hex(8),
                "-days", str(days), "-sha256", "-extfile", "ext.cnf", "-extensions", who,
                "-out", who + ".pem", cwd=d)
    for k in ("root.key", "intermediate.key", "signer.key"):
        os.chmod(os.path.join(d, k), 0o600)
    for c in ("root.pem", "intermediate.pem", "signer.pem"):
        os.chmod(os.path.join(d, c), 0o644)
    ca = os.path.join(state_dir, "signing-ca.pem")
    tmp = ca + ".tmp"
    with open(os.path.join(d, "root.pem")) as src, open(tmp, "w") as dst:
        dst.write(src.read())
    os.chmod(tmp, 0o644)
    os.replace(tmp, ca)
    chain = {"root": os.path.join(d, "root.pem"),
             "intermediate": os.path.join(d, "intermediate.pem"),
             "signer": os.path.join(d, "signer.pem"),
             "signer_key": os.path.join(d, "signer.key")}
    with _chain_lock:
        _chain = chain
    return chain


def load_chain(state_dir):
    d = os.path.join(state_dir, "signing")
    chain = {"root": os.path.join(d, "root.pem"),
             "intermediate": os.path.join(d, "intermediate.pem"),
             "signer": os.path.join(d, "signer.pem"),
             "signer_key": os.path.join(d, "signer.key")}
    for path in chain.values():
        if not os.path.exists(path):
            raise SigningError("no signing chain in %s (make-chain first)" % state_dir)
    return chain


def default_chain():
    """The chain made at start; without one (a caller that never made it),
    one in a private temporary directory, made once."""
    global _chain
    with _chain_lock:
        if _chain is not None:
            return _chain
    d = tempfile.mkdtemp(prefix="qes-sim-signing-")
    atexit.register(shutil.rmtree, d, True)
    return make_signing_chain(d)


def cms_sign(covered, chain):
    """A detached CMS SignedData (DER) over COVERED, by the chain's signer."""
    return openssl("cms", "-sign", "-binary", "-outform", "DER", "-nosmimecap",
                   "-cades", "-md", "sha256", "-signer", chain["signer"],
                   "-inkey", chain["signer_key"], "-certfile", chain["intermediate"],
                   data=covered)


# -- the incremental update -----------------------------------------------------

def pdf_date(now):
    return now.strftime("D:%Y%m%d%H%M%S+00'00'").encode("ascii")


def pdf_text(text):
    """TEXT as a PDF literal string, printable ASCII only."""
    out = bytearray(b"(")
    for ch in text.encode("ascii", "replace"):
        if ch in b"()\\":
            out += b"\\" + bytes([ch])
        elif 32 <= ch < 127:
            out.append(ch)
        else:
            out += b"?"
    return bytes(out + b")")


class Update:
    """The objects of an update: number -> (generation, bytes of the value)."""

    def __init__(self):
        self.objects = {}

    def put(self, num, gen, body):
        self.objects[num] = (gen, body)


def plan_field(doc, sig_num, field_num):
    """
    The objects that give the document a signature field: the field/widget,
    the first page with it in /Annots, the catalog (or the AcroForm object)
    with it in /Fields.  Returns an Update (without the signature
    dictionary).  Raises PdfError when the document's structure is not what
    it can update.
    """
    up = Update()
    root = doc.trailer.get(Name(b"Root"))
    catalog = doc.get(root.num)
    if not isinstance(catalog, pdfobjects.Dict):
        raise PdfError("catalog is not a dictionary")
    page_num, page = doc.first_page()
    field_ref = b"%d 0 R" % field_num

    # The page: its /Annots with the widget added
    annots = doc.resolve(page.get(Name(b"Annots"), []))
    if not isinstance(annots, list):
        raise PdfError("page /Annots is not an array")
    old = doc.raw(page.get(Name(b"Annots")).num) if isinstance(
        page.get(Name(b"Annots")), Ref) else page.raw.get(Name(b"Annots"), b"[]")
    new_annots = old.rstrip()[:-1] + b" " + field_ref + b"]"
    up.put(page_num, doc.generation(page_num),
           pdfobjects.with_entries(page, {Name(b"Annots"): new_annots}))

    # The AcroForm: its /Fields with the field added, /SigFlags 3
    acro_value = catalog.get(Name(b"AcroForm"))
    acro = doc.resolve(acro_value) if acro_value is not None else None
    if acro is None:
        acro_bytes = b"<< /Fields [" + field_ref + b"] /SigFlags 3 >>"
    else:
        if not isinstance(acro, pdfobjects.Dict):
            raise PdfError("/AcroForm is not a dictionary")
        fields_value = acro.get(Name(b"Fields"))
        if isinstance(fields_value, Ref):
            old_fields = doc.raw(fields_value.num)
        else:
            old_fields = acro.raw.get(Name(b"Fields"), b"[]")
        if not old_fields.rstrip().endswith(b"]"):
            raise PdfError("/Fields is not an array")
        new_fields = old_fields.rstrip()[:-1] + b" " + field_ref + b"]"
        acro_bytes = pdfobjects.with_entries(acro, {Name(b"Fields"): new_fields,
                                                    Name(b"SigFlags"): b"3"})
    if isinstance(acro_value, Ref):
        up.put(acro_value.num, doc.generation(acro_value.num), acro_bytes)
    else:
        up.put(root.num, doc.generation(root.num),
               pdfobjects.with_entries(catalog, {Name(b"AcroForm"): acro_bytes}))

    # The field, its own widget
    names = set()
    for f in (doc.resolve(acro.get(Name(b"Fields"), [])) if isinstance(acro, pdfobjects.Dict)
              else []) or []:
        try:
            t = doc.resolve(f).get(Name(b"T")) if isinstance(f, Ref) else None
        except (PdfError, AttributeError):
            t = None
        if isinstance(t, bytes):
            names.add(t)
    n = 1
    while b"Signature%d" % n in names:
        n += 1
    up.put(field_num, 0,
           b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature%d) /V %d 0 R "
           b"/F %d /Rect [0 0 0 0] /P %d 0 R >>" % (n, sig_num, WIDGET_FLAGS, page_num))
    return up


def xref_table(entries):
    """A classic xref section for ENTRIES: sorted (num, offset, gen)."""
    out = bytearray(b"xref\n")
    i = 0
    while i < len(entries):
        j = i
        while j + 1 < len(entries) and entries[j + 1][0] == entries[j][0] + 1:
            j += 1
        out += b"%d %d\n" % (entries[i][0], j - i + 1)
        for num, offset, gen in entries[i:j + 1]:
            out += b"%010d %05d n \n" % (offset, gen)
        i = j + 1
    return bytes(out)


def xref_stream(entries, xref_num, xref_offset, trailer_entries):
    """A cross-reference stream object (unfiltered) for ENTRIES and itself."""
    entries = sorted(entries + [(xref_num, xref_offset, 0)])
    index, data = [], bytearray()
    i = 0
    while i < len(entries):
        j = i
        while j + 1 < len(entries) and entries[j + 1][0] == entries[j][0] + 1:
            j += 1
        index += [entries[i][0], j - i + 1]
        i = j + 1
    for num, offset, gen in entries:
        data += b"\x01" + offset.to_bytes(4, "big") + gen.to_bytes(2, "big")
    head = (b"%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [%s] %s /Length %d >>\nstream\n"
            % (xref_num, b" ".join(b"%d" % n for n in index), trailer_entries, len(data)))
    return head + bytes(data) + b"\nendstream\nendobj\n"


def sign_pdf(original, signer_name="qes simulator", now=None, chain=None):
    """
    Return ORIGINAL followed by an incremental update that signs it (see the
    head of this file).
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    chain = chain or default_chain()
    try:
        doc = pdfobjects.Document(original)
    except (PdfError, RecursionError, OverflowError, MemoryError):
        doc = None
    if doc is not None:
        sig_num = pdfobjects.next_object_number(doc)
        try:
            update = plan_field(doc, sig_num, sig_num + 1)
            size = sig_num + 2
        except (PdfError, RecursionError, AttributeError, TypeError):
            update, size = Update(), sig_num + 1
        prev = doc.startxref
        as_stream = doc.xref_is_stream
        carried = []
        for key in (b"Root", b"Info", b"ID"):
            if Name(key) in doc.trailer:
                carried.append(b"/" + key + b" " + doc.trailer.raw[Name(key)])
    else:
        sig_num = pdfobjects.next_object_number(original)
        update, size = Update(), sig_num + 1
        prev = pdfobjects.find_startxref(original)
        as_stream = False
        carried = []
        for key in (b"/Root", b"/Info"):
            refs = re.findall(re.escape(key) + rb"\s+(\d+\s+\d+\s+R)", original)
            if refs:
                carried.append(key + b" " + refs[-1])

    out = bytearray(original)
    if not out.endswith((b"\n", b"\r")):
        out += b"\n"
    offsets = []

    # The signature dictionary, with room for /ByteRange and /Contents
    offsets.append((sig_num, len(out), 0))
    out += b"%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite " % sig_num
    out += b"/SubFilter /ETSI.CAdES.detached\n/ByteRange ["
    byterange_at = len(out)
    out += b" " * BYTERANGE_WIDTH + b"]\n/Contents "
    contents_start = len(out)
    out += b"<" + b"0" * (2 * CONTENTS_BYTES) + b">"
    contents_end = len(out)
    out += b"\n/M (" + pdf_date(now) + b")\n/Name " + pdf_text(signer_name)
    out += b"\n/Reason (Qualified electronic signature, simulated) >>\nendobj\n"

    for num in sorted(update.objects):
        gen, body = update.objects[num]
        offsets.append((num, len(out), gen))
        out += b"%d %d obj\n" % (num, gen) + body + b"\nendobj\n"

    trailer = b" ".join(carried)
    if prev is not None:
        trailer += b" /Prev %d" % prev
    xref_offset = len(out)
    if as_stream:
        out += xref_stream(sorted(offsets), size, xref_offset,
                           b"/Size %d " % (size + 1) + trailer)
    else:
        out += xref_table(sorted(offsets))
        out += b"trailer\n<< /Size %d %s >>\n" % (size, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset

    # The final length is known: fill in /ByteRange, then sign.
    ranges = b"0 %d %d %d" % (contents_start, contents_end, len(out) - contents_end)
    out[byterange_at:byterange_at + len(ranges)] = ranges
    der = cms_sign(bytes(out[:contents_start]) + bytes(out[contents_end:]), chain)
    if len(der) > CONTENTS_BYTES:
        raise SigningError("the CMS signature (%d bytes) does not fit" % len(der))
    blob = der.hex().upper().encode("ascii")
    out[contents_start + 1:contents_start + 1 + len(blob)] = blob
    return bytes(out)


def main(argv=None):
    p = argparse.ArgumentParser(description="The simulator's PAdES signer, for tests.")
    sub = p.add_subparsers(dest="verb", required=True)
    mk = sub.add_parser("make-chain", help="make a throwaway signing chain in DIR")
    mk.add_argument("dir")
    mk.add_argument("--key", choices=("rsa", "ec"), default="rsa")
    mk.add_argument("--name", default="qes test signer")
    sg = sub.add_parser("sign", help="sign IN into OUT with the chain in --chain DIR")
    sg.add_argument("--chain", required=True)
    sg.add_argument("--name", default="qes test signer")
    sg.add_argument("input")
    sg.add_argument("output")
    args = p.parse_args(argv)
    try:
        if args.verb == "make-chain":
            os.makedirs(args.dir, exist_ok=True)
            make_signing_chain(args.dir, args.key, args.name)
            return 0
        with open(args.input, "rb") as f:
            original = f.read()
        signed = sign_pdf(original, args.name, chain=load_chain(args.chain))
        with open(args.output, "wb") as f:
            f.write(signed)
        return 0
    except (SigningError, OSError) as e:
        print("pdfsign: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
