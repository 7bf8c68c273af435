#!/usr/bin/env python3
# tamper.py: signed PDFs, valid and tampered, for the verification tests.
#
#   tamper.py make OUT_DIR ORIGINAL.pdf SIM_STATE_DIR
#       writes OUT_DIR/<case>.pdf for every case below, signed with the
#       simulator's chain in SIM_STATE_DIR (and an outside chain it makes)
#   tamper.py pdfsig NSS_DIR FILE.pdf
#       prints "t" when Debian's pdfsig finds the whole document signed, the
#       signature valid and the certificate trusted, "f" otherwise
#
# The cases: valid; byte_in_original (a byte of the signed original part
# changed); byte_in_signature (a byte of the CMS signature changed);
# truncated; appended (a second incremental update after signing);
# outside_chain (signed by a certificate the trust file does not know);
# and hostile ones: huge_range, negative_range, no_contents, not_cms,
# nested (deeply nested arrays in the update).

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "sim"))

import pdfsign  # noqa: E402


def flip(data, pos):
    b = bytearray(data)
    b[pos] ^= 0x01
    return bytes(b)


def contents_span(signed):
    m = list(re.finditer(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed))[-1]
    return int(m.group(1)), int(m.group(2))


def make(out, original_path, state_dir):
    original = open(original_path, "rb").read()
    chain = pdfsign.load_chain(state_dir)
    signed = pdfsign.sign_pdf(original, chain=chain)
    b, c = contents_span(signed)
    cases = {"valid": signed}
    cases["byte_in_original"] = flip(signed, len(original) // 2)
    # a hex digit a little into the DER, inside the signature proper
    cases["byte_in_signature"] = signed[:b + 801] + (b"0" if signed[b + 801:b + 802] != b"0" else b"1") + signed[b + 802:]
    cases["truncated"] = signed[:-40]
    cases["appended"] = signed + (b"\n999 0 obj\n<< /Type /Annot /Subtype /Text /Contents (added later) >>\nendobj\n"
                                  b"trailer\n<< /Size 1000 >>\n%%EOF\n")
    outside_dir = os.path.join(out, "outside-chain")
    os.makedirs(outside_dir, exist_ok=True)
    outside = pdfsign.make_signing_chain(outside_dir, name="Someone else")
    cases["outside_chain"] = pdfsign.sign_pdf(original, chain=outside)
    cases["huge_range"] = re.sub(rb"/ByteRange\s*\[[^\]]*\]", b"/ByteRange [0 99999999999999 1 2]", signed)
    cases["negative_range"] = signed.replace(b"/ByteRange [0 ", b"/ByteRange [0 -", 1)
    cases["no_contents"] = signed.replace(b"/Contents <", b"/Xontents <", 1)
    cases["not_cms"] = signed[:b + 1] + b"41" * ((c - b - 2) // 2) + signed[c - 1:]
    cases["nested"] = signed + b"\n998 0 obj\n" + b"[" * 5000 + b"]" * 5000 + b"\nendobj\n"
    for name, data in cases.items():
        path = os.path.join(out, name + ".pdf")
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)


def pdfsig(nss, path):
    r = subprocess.run(["pdfsig", "-nssdir", "sql:" + nss, path],
                       capture_output=True, text=True, timeout=60)
    text = r.stdout
    ok = ("Signature is Valid" in text and "Certificate is Trusted" in text
          and "Total document signed" in text and text.count("Signature #") == 1)
    print("t" if ok else "f")


def main(argv):
    if len(argv) == 4 and argv[0] == "make":
        make(argv[1], argv[2], argv[3])
    elif len(argv) == 3 and argv[0] == "pdfsig":
        pdfsig(argv[1], argv[2])
    else:
        sys.exit("usage: tamper.py make OUT ORIGINAL STATE_DIR | pdfsig NSS FILE")


if __name__ == "__main__":
    main(sys.argv[1:])
