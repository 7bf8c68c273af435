# multipart.py: MIME multipart bodies, byte-exact, in both directions.
#
# E3 uploads documents as multipart/form-data (RFC 7578) and E7 answers with
# multipart/mixed (RFC 2046).  The parser works on bytes and splits on the
# boundary only, so a document's bytes come out exactly as they went in, NULs
# and all.  Header parameters follow RFC 2045 quoting, and a filename* in the
# RFC 5987 form (UTF-8''percent-encoded) wins over a plain filename.

import secrets
import urllib.parse


class MultipartError(ValueError):
    """The body is not well-formed multipart."""


class Part:
    """One body part: its headers (lower-case names) and its raw bytes."""

    def __init__(self, headers, data):
        self.headers = headers
        self.data = data
        disposition, params = parse_header_value(headers.get("content-disposition", ""))
        self.disposition = disposition
        self.name = params.get("name")
        self.filename = params.get("filename")
        self.content_type = parse_header_value(headers.get("content-type", ""))[0] or None


def split_params(value):
    """Split VALUE at semicolons that are not inside a quoted string."""
    pieces, current, quoted, escaped = [], [], False, False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == ";" and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return pieces


def unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out, escaped = [], False
        for ch in value[1:-1]:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


def decode_ext_value(value):
    """Decode an RFC 5987 ext-value: charset'language'percent-encoded."""
    try:
        charset, _language, encoded = value.split("'", 2)
        return urllib.parse.unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (ValueError, LookupError, UnicodeDecodeError):
        return None


def parse_header_value(value):
    """
    Parse 'type; a=b; c="d"' into ('type', {'a': 'b', 'c': 'd'}).  The main
    value is lower-cased, as are parameter names; 'x*' parameters are decoded
    and stored under 'x', overriding a plain 'x'.
    """
    pieces = split_params(value)
    main = pieces[0].strip().lower()
    params, extended = {}, {}
    for piece in pieces[1:]:
        if "=" not in piece:
            continue
        key, raw = piece.split("=", 1)
        key = key.strip().lower()
        if key.endswith("*"):
            decoded = decode_ext_value(raw.strip())
            if decoded is not None:
                extended[key[:-1]] = decoded
        else:
            params[key] = unquote(raw)
    params.update(extended)
    return main, params


def parse_part_headers(block):
    """Parse a part's header block (bytes, CRLF separated) into a dict."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    headers = {}
    for line in text.split("\r\n"):
        if not line:
            continue
        if line[0] in " \t" and headers:                # folded continuation
            last = list(headers)[-1]
            headers[last] += " " + line.strip()
            continue
        if ":" not in line:
            raise MultipartError("a part header line has no colon")
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    return headers


def parse(body, boundary):
    """
    Return the list of Parts of BODY delimited by BOUNDARY (a str).  The
    preamble and epilogue are ignored; a missing close delimiter is an error.
    """
    if not boundary or len(boundary) > 70:
        raise MultipartError("the boundary is missing or longer than 70 characters")
    delimiter = b"--" + boundary.encode("latin-1")
    if body.startswith(delimiter):
        pos = 0
    else:
        pos = body.find(b"\r\n" + delimiter)
        if pos < 0:
            raise MultipartError("the body holds no boundary delimiter")
        pos += 2

    parts = []
    while True:
        pos += len(delimiter)
        if body[pos:pos + 2] == b"--":
            return parts
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise MultipartError("a boundary delimiter is not followed by CRLF")
        start = line_end + 2
        end = find_delimiter(body, delimiter, start)
        parts.append(split_part(body[start:end]))
        pos = end + 2


def find_delimiter(body, delimiter, start):
    """
    Return the offset of the CRLF before the next real delimiter line at or
    after START.  A real one is followed by '--' or by optional blanks and
    CRLF; a longer string that merely begins with the boundary is data.
    """
    needle = b"\r\n" + delimiter
    while True:
        end = body.find(needle, start)
        if end < 0:
            raise MultipartError("the close delimiter is missing")
        after = end + len(needle)
        if body[after:after + 2] == b"--":
            return end
        rest = body[after:after + 80]
        crlf = rest.find(b"\r\n")
        if crlf >= 0 and not rest[:crlf].strip(b" \t"):
            return end
        start = end + 1


def split_part(raw):
    """Split one raw part into headers and data at the first empty line."""
    if raw.startswith(b"\r\n"):
        return Part({}, raw[2:])
    sep = raw.find(b"\r\n\r\n")
    if sep < 0:
        raise MultipartError("a part has no empty line after its headers")
    return Part(parse_part_headers(raw[:sep]), raw[sep + 4:])


def filename_param(filename):
    """A Content-Disposition filename parameter, with filename* if needed."""
    safe = filename.encode("ascii", "replace").decode("ascii")
    safe = safe.replace("\\", "_").replace('"', "_")
    value = 'filename="%s"' % safe
    if safe != filename:
        value += "; filename*=UTF-8''" + urllib.parse.quote(filename, safe="")
    return value


def build(subtype, parts):
    """
    Build a multipart/SUBTYPE body from PARTS, a list of (headers dict,
    bytes).  Returns (content_type, body).  The boundary is random and is
    checked not to occur in any part.
    """
    while True:
        boundary = "sim-" + secrets.token_hex(16)
        if not any(boundary.encode() in data for _, data in parts):
            break
    out = bytearray()
    for headers, data in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        for name, value in headers.items():
            out += ("%s: %s\r\n" % (name, value)).encode("utf-8")
        out += b"\r\n" + data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return "multipart/%s; boundary=%s" % (subtype, boundary), bytes(out)
