# pdfsign.py: how the simulator "signs" a document.
#
# A PAdES signature is an incremental update: the uploaded bytes stay exactly
# as they were and a new section is appended after them, holding a signature
# dictionary, a new xref section and a trailer whose /Prev points back at the
# original's last xref.  That shape is what a client can check (the signed PDF
# starts with the original), and it is what this module produces.
#
# XXX: /Contents holds a marker and a SHA-256 of the signed byte ranges, not a
# real CMS SignedData.  A later task replaces this module with real PAdES; keep
# the interface: sign_pdf(original_bytes, signer_name) -> signed_bytes.

import datetime
import hashlib
import re

CONTENTS_BYTES = 4096       # room reserved for the CMS blob (hex doubles it)
MARKER = b"QES-SIMULATOR-NOT-A-CMS-SIGNATURE:"
FIELD = b"%010d"            # fixed width, so offsets can be filled in later


def find_startxref(pdf):
    """Return the offset that the last 'startxref' in the final 1024 bytes
    names, or None when there is none."""
    tail_start = max(0, len(pdf) - 1024)
    tail = pdf[tail_start:]
    at = tail.rfind(b"startxref")
    if at < 0:
        return None
    m = re.match(rb"startxref\s+(\d+)", tail[at:])
    return int(m.group(1)) if m else None


def next_object_number(pdf):
    """The first free object number: the last trailer's /Size, else one past
    the highest 'N G obj' seen, else 1."""
    sizes = re.findall(rb"/Size\s+(\d+)", pdf)
    if sizes:
        return int(sizes[-1])
    numbers = re.findall(rb"(?:^|\s)(\d+)\s+\d+\s+obj\b", pdf)
    return max((int(n) for n in numbers), default=0) + 1


def pdf_date(now):
    return now.strftime("D:%Y%m%d%H%M%S+00'00'").encode("ascii")


def sign_pdf(original, signer_name="qes simulator", now=None):
    """
    Return ORIGINAL followed by an incremental update that adds a signature
    dictionary (/Type /Sig, /SubFilter /ETSI.CAdES.detached) whose /ByteRange
    covers the whole result except the /Contents hex string.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    prev = find_startxref(original)
    number = next_object_number(original)
    carried = []                # the original trailer's /Root and /Info
    for key in (b"/Root", b"/Info"):
        refs = re.findall(re.escape(key) + rb"\s+(\d+\s+\d+\s+R)", original)
        if refs:
            carried.append(key + b" " + refs[-1])

    out = bytearray(original)
    if not out.endswith((b"\n", b"\r")):
        out += b"\n"

    # The signature dictionary, with fixed-width placeholders for /ByteRange.
    object_offset = len(out)
    name = signer_name.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    out += b"%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite " % number
    out += b"/SubFilter /ETSI.CAdES.detached\n/ByteRange ["
    byterange_at = len(out)
    out += b" ".join([FIELD % 0] * 4)
    out += b"]\n/Contents "
    contents_start = len(out)
    out += b"<" + b"0" * (2 * CONTENTS_BYTES) + b">"
    contents_end = len(out)
    out += b"\n/M (" + pdf_date(now) + b")\n/Name (" + name + b")"
    out += b"\n/Reason (Qualified electronic signature, simulated) >>\nendobj\n"

    # The update's own xref section and trailer.
    xref_offset = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n" % (number, object_offset)
    out += b"trailer\n<< /Size %d" % (number + 1)
    for entry in carried:
        out += b" " + entry
    if prev is not None:
        out += b" /Prev %d" % prev
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref_offset

    # Now the final length is known: fill in /ByteRange, then /Contents.
    ranges = [0, contents_start, contents_end, len(out) - contents_end]
    filled = b" ".join(FIELD % n for n in ranges)
    out[byterange_at:byterange_at + len(filled)] = filled

    digest = hashlib.sha256(bytes(out[:contents_start]) + bytes(out[contents_end:]))
    blob = (MARKER + digest.hexdigest().encode("ascii")).hex().encode("ascii")
    out[contents_start + 1:contents_start + 1 + len(blob)] = blob
    return bytes(out)
