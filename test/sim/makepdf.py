#!/usr/bin/env python3
# makepdf.py: small, valid PDF documents for tests, the demo and the simulator.
#
# Writes classic PDF 1.4 files (no compression, a plain xref table with exact
# offsets) so that every byte is easy to reason about.  The simulator uses it
# for the InfoCert contract (E8); tests use it to make documents to upload (E3).
# Output is deterministic: the same arguments give the same bytes.
#
#   python3 test/sim/makepdf.py --pages N --out FILE [--binary] [--title TEXT]
#                               [--size BYTES]
#
# --binary adds a 16x16 grey image whose samples are the bytes 0x00..0xFF, so
# the file holds NUL and every byte 0x80..0xFF in an uncompressed stream.
# --size pads the file (with an unreferenced stream object) to exactly BYTES.

import argparse
import sys

BINARY_SAMPLES = bytes(range(256))  # 16 x 16 grey image, one byte a pixel


def pdf_string(text):
    """Return TEXT as a PDF literal string, ASCII only, escapes applied."""
    out = []
    for ch in text:
        if ch in "()\\":
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("?")
    return "(" + "".join(out) + ")"


def stream_object(dictionary, data):
    """Return the body of a stream object: DICTIONARY entries plus DATA."""
    head = "<< %s /Length %d >>\nstream\n" % (dictionary, len(data))
    return head.encode("ascii") + data + b"\nendstream"


class PdfWriter:
    """Collects numbered objects and serialises them with a correct xref."""

    def __init__(self):
        self.objects = []

    def reserve(self):
        self.objects.append(None)
        return len(self.objects)

    def set(self, number, body):
        if isinstance(body, str):
            body = body.encode("ascii")
        self.objects[number - 1] = body

    def add(self, body):
        number = self.reserve()
        self.set(number, body)
        return number

    def serialise(self, root, info):
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n" % (len(self.objects) + 1)
        out += b"0000000000 65535 f \n"
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n"
                % (len(self.objects) + 1, root, info))
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)


def page_content(lines, with_image):
    """Return the content stream of one page: text lines, maybe the image."""
    ops = ["BT", "/F1 14 Tf", "72 740 Td", "18 TL"]
    for line in lines:
        ops.append(pdf_string(line) + " '")
    ops.append("ET")
    if with_image:
        ops.append("q 128 0 0 128 72 480 cm /Im1 Do Q")
    return ("\n".join(ops) + "\n").encode("ascii")


def build_pdf(pages, binary=False, title="qes test document", padding=0):
    """
    Return the bytes of a PDF with one page per entry of PAGES (each a list
    of text lines).  BINARY adds the all-bytes image; PADDING > 0 adds an
    unreferenced stream of that many payload bytes.
    """
    w = PdfWriter()
    catalog = w.reserve()
    page_tree = w.reserve()
    font = w.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    resources = "/Font << /F1 %d 0 R >>" % font
    if binary:
        image = w.add(stream_object(
            "/Type /XObject /Subtype /Image /Width 16 /Height 16 "
            "/ColorSpace /DeviceGray /BitsPerComponent 8", BINARY_SAMPLES))
        resources += " /XObject << /Im1 %d 0 R >>" % image

    kids = []
    for lines in pages:
        content = w.add(stream_object("", page_content(lines, binary)))
        kids.append(w.add(
            "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
            "/Resources << %s >> /Contents %d 0 R >>"
            % (page_tree, resources, content)))

    w.set(page_tree, "<< /Type /Pages /Kids [%s] /Count %d >>"
          % (" ".join("%d 0 R" % k for k in kids), len(kids)))
    w.set(catalog, "<< /Type /Catalog /Pages %d 0 R >>" % page_tree)
    info = w.add("<< /Title %s /Producer (qes simulator makepdf) >>"
                 % pdf_string(title))
    if padding > 0:
        w.add(stream_object("", bytes(i % 251 for i in range(padding))))
    return w.serialise(catalog, info)


def document_pdf(page_count, binary=False, title="qes test document", size=0):
    """Return a test document of PAGE_COUNT pages, exactly SIZE bytes if set."""
    pages = [[title, "Page %d of %d" % (i, page_count)]
             for i in range(1, page_count + 1)]
    pdf = build_pdf(pages, binary, title)
    if size <= 0:
        return pdf
    if size < len(pdf) + 64:
        raise ValueError("size %d is too small; the smallest is %d"
                         % (size, len(pdf) + 64))
    # The padding object's own overhead changes with the digits of its length,
    # so converge in a few steps.
    padding = size - len(pdf)
    for _ in range(5):
        pdf = build_pdf(pages, binary, title, padding)
        if len(pdf) == size:
            return pdf
        padding += size - len(pdf)
    raise ValueError("could not pad to exactly %d bytes" % size)


def contract_pdf(signature_id, signer="test client"):
    """Return the InfoCert contract that the simulator serves on E8."""
    pages = [
        ["InfoCert S.p.A. - qualified certificate contract",
         "Signature: %s" % signature_id,
         "Holder: %s" % signer,
         "This contract was generated by the qes Fourthline simulator."],
        ["Terms of service (simulated)",
         "The holder accepts the issuance of a one-shot qualified certificate.",
         "Page 2 of 2"],
    ]
    return build_pdf(pages, title="InfoCert contract %s" % signature_id)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Write a small valid multi-page PDF.")
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--out", required=True, help="file to write, - for stdout")
    parser.add_argument("--binary", action="store_true",
                        help="include NUL and every byte 0x80..0xFF in a stream")
    parser.add_argument("--title", default="qes test document")
    parser.add_argument("--size", type=int, default=0,
                        help="pad the file to exactly this many bytes")
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be at least 1")
    try:
        pdf = document_pdf(args.pages, args.binary, args.title, args.size)
    except ValueError as e:
        print("makepdf: %s" % e, file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.buffer.write(pdf)
    else:
        with open(args.out, "wb") as f:
            f.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
