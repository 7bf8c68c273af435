# pdfobjects.py: just enough of a PDF reader for pdfsign.py to append an
# incremental update to a document it did not write.
#
# It reads the cross-reference of the last revision and of every earlier one
# (/Prev, and /XRefStm of hybrid files): classic xref tables and PDF 1.5
# cross-reference streams, with objects in object streams.  Streams may be
# unfiltered or FlateDecode, with or without a PNG predictor; anything else
# (other filters, encryption) is refused with PdfError, and pdfsign.py then
# falls back to a signature without a field.
#
# Values are plain Python: int, float, bool, None, bytes for strings, Name,
# Ref, list and Dict.  Every value parsed from the file remembers the raw
# bytes it came from (Raw), so that an object can be rewritten with one
# entry changed and every other byte copied as it was.

import re
import zlib

WHITESPACE = b"\0\t\n\f\r "
DELIMITERS = b"()<>[]{}/%"
MAX_PREV = 256              # revisions followed, against /Prev loops
MAX_DEPTH = 64              # nesting of arrays and dictionaries


class PdfError(ValueError):
    """The document cannot be read by this module."""


class Name(bytes):
    """A PDF name, without its slash, #xx escapes decoded."""


class Ref(tuple):
    """An indirect reference (number, generation)."""

    @property
    def num(self):
        return self[0]

    @property
    def gen(self):
        return self[1]

    def pdf(self):
        return b"%d %d R" % self


class Dict(dict):
    """A dictionary: Name -> value; raw[key] holds each value's raw bytes."""

    def __init__(self):
        super().__init__()
        self.raw = {}


class Stream:
    def __init__(self, dictionary, data):
        self.dict = dictionary
        self.data = data        # still encoded


class Lexer:
    def __init__(self, data, pos=0, end=None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def skip_space(self):
        d, end = self.data, self.end
        while self.pos < end:
            c = d[self.pos]
            if c in WHITESPACE:
                self.pos += 1
            elif c == 0x25:     # % comment to the end of the line
                while self.pos < end and d[self.pos] not in b"\r\n":
                    self.pos += 1
            else:
                break

    def regular(self):
        """The run of regular characters at pos (a number or keyword)."""
        start = self.pos
        d, end = self.data, self.end
        while self.pos < end and d[self.pos] not in WHITESPACE and d[self.pos] not in DELIMITERS:
            self.pos += 1
        return d[start:self.pos]

    def keyword(self):
        self.skip_space()
        return self.regular()

    def value(self, depth=0):
        """Parse one value at pos; numbers followed by 'G R' become a Ref."""
        if depth > MAX_DEPTH:
            raise PdfError("objects nested too deep")
        self.skip_space()
        if self.pos >= self.end:
            raise PdfError("unexpected end of data")
        d = self.data
        c = d[self.pos]
        if c == 0x2F:           # /
            self.pos += 1
            raw = self.regular()
            return Name(re.sub(rb"#([0-9A-Fa-f]{2})",
                               lambda m: bytes([int(m.group(1), 16)]), raw))
        if c == 0x28:           # (
            return self.literal_string()
        if d.startswith(b"<<", self.pos):
            return self.dictionary(depth)
        if c == 0x3C:           # <
            close = d.find(b">", self.pos, self.end)
            if close < 0:
                raise PdfError("unterminated hex string")
            digits = re.sub(rb"[\0\t\n\f\r ]", b"", d[self.pos + 1:close])
            self.pos = close + 1
            if len(digits) % 2:
                digits += b"0"
            try:
                return bytes.fromhex(digits.decode("ascii"))
            except ValueError:
                raise PdfError("bad hex string")
        if c == 0x5B:           # [
            self.pos += 1
            items = []
            while True:
                self.skip_space()
                if self.pos >= self.end:
                    raise PdfError("unterminated array")
                if d[self.pos] == 0x5D:
                    self.pos += 1
                    return items
                items.append(self.value(depth + 1))
        word = self.regular()
        if not word:
            raise PdfError("unexpected character %r at %d" % (bytes([c]), self.pos))
        if word == b"true":
            return True
        if word == b"false":
            return False
        if word == b"null":
            return None
        if re.fullmatch(rb"[+-]?\d+", word):
            number = int(word)
            save = self.pos
            self.skip_space()
            gen = self.regular()
            if re.fullmatch(rb"\d+", gen):
                self.skip_space()
                if self.regular() == b"R":
                    return Ref((number, int(gen)))
            self.pos = save
            return number
        if re.fullmatch(rb"[+-]?(\d+\.\d*|\.\d+)", word):
            return float(word)
        raise PdfError("unexpected keyword %r" % word[:32])

    def literal_string(self):
        d, end = self.data, self.end
        self.pos += 1
        depth = 1
        out = bytearray()
        while self.pos < end:
            c = d[self.pos]
            self.pos += 1
            if c == 0x5C:       # backslash: keep the escape as it is
                if self.pos < end:
                    out += d[self.pos - 1:self.pos + 1]
                    self.pos += 1
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    return bytes(out)
            out.append(c)
        raise PdfError("unterminated string")

    def dictionary(self, depth):
        self.pos += 2
        result = Dict()
        while True:
            self.skip_space()
            if self.pos >= self.end:
                raise PdfError("unterminated dictionary")
            if self.data.startswith(b">>", self.pos):
                self.pos += 2
                return result
            key = self.value(depth + 1)
            if not isinstance(key, Name):
                raise PdfError("dictionary key is not a name")
            self.skip_space()
            start = self.pos
            result[key] = self.value(depth + 1)
            result.raw[key] = self.data[start:self.pos]


def unpredict(data, columns, predictor):
    """Undo a PNG predictor (10..15) over rows of COLUMNS bytes."""
    if predictor < 10:
        if predictor in (0, 1):
            return data
        raise PdfError("TIFF predictor not supported")
    row = columns + 1
    if columns <= 0 or len(data) % row:
        raise PdfError("bad predictor data")
    out = bytearray()
    prev = bytearray(columns)
    for i in range(0, len(data), row):
        kind, cur = data[i], bytearray(data[i + 1:i + row])
        for j in range(columns):
            left = cur[j - 1] if j else 0
            up, upleft = prev[j], (prev[j - 1] if j else 0)
            if kind == 1:
                cur[j] = (cur[j] + left) & 0xFF
            elif kind == 2:
                cur[j] = (cur[j] + up) & 0xFF
            elif kind == 3:
                cur[j] = (cur[j] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else upleft)
                cur[j] = (cur[j] + pred) & 0xFF
            elif kind != 0:
                raise PdfError("bad PNG predictor row")
        out += cur
        prev = cur
    return bytes(out)


def decode(stream):
    """The decoded data of a Stream (FlateDecode or none)."""
    filters = stream.dict.get(Name(b"Filter"))
    parms = stream.dict.get(Name(b"DecodeParms"))
    if isinstance(filters, Name):
        filters, parms = [filters], [parms]
    filters = filters or []
    if not isinstance(parms, list):
        parms = [parms] * len(filters)
    data = stream.data
    for f, p in zip(filters, parms):
        if f != b"FlateDecode":
            raise PdfError("filter %s not supported" % f.decode("latin-1"))
        try:
            data = zlib.decompressobj().decompress(data)
        except zlib.error as e:
            raise PdfError("bad FlateDecode data: %s" % e)
        if isinstance(p, Dict) and p.get(Name(b"Predictor"), 1) > 1:
            data = unpredict(data, p.get(Name(b"Columns"), 1) * p.get(Name(b"Colors"), 1)
                             * p.get(Name(b"BitsPerComponent"), 8) // 8,
                             p.get(Name(b"Predictor")))
    return data


class Document:
    """
    A PDF's last revision: trailer, and where each object is.  get(num)
    returns an object's value; raw(num) its bytes between 'obj' and 'endobj'
    (for an object in an object stream, its bytes there).
    """

    def __init__(self, data):
        self.data = data
        self.where = {}         # num -> ("offset", offset, gen) | ("stream", stmnum, index)
        self.trailer = None
        self.xref_is_stream = False
        self.startxref = find_startxref(data)
        if self.startxref is None:
            raise PdfError("no startxref")
        self.read_xref_chain(self.startxref)
        if self.trailer.get(Name(b"Encrypt")) is not None:
            raise PdfError("encrypted documents are not supported")
        self.objstm_cache = {}

    def read_xref_chain(self, offset):
        seen = set()
        pending = [offset]
        first = True
        while pending:
            offset = pending.pop(0)
            if offset in seen or len(seen) >= MAX_PREV:
                continue
            seen.add(offset)
            if not isinstance(offset, int) or not 0 <= offset < len(self.data):
                raise PdfError("xref offset %r out of the file" % (offset,))
            lex = Lexer(self.data, offset)
            lex.skip_space()
            if self.data.startswith(b"xref", lex.pos):
                trailer = self.read_xref_table(lex)
                if first:
                    self.xref_is_stream = False
                if isinstance(trailer.get(Name(b"XRefStm")), int):
                    pending.insert(0, trailer[Name(b"XRefStm")])
            else:
                trailer = self.read_xref_stream(lex)
                if first:
                    self.xref_is_stream = True
            if first:
                self.trailer = trailer
                first = False
            prev = trailer.get(Name(b"Prev"))
            if isinstance(prev, int):
                pending.append(prev)

    def add(self, num, entry):
        self.where.setdefault(num, entry)   # the newest revision wins

    def read_xref_table(self, lex):
        lex.pos += 4
        while True:
            lex.skip_space()
            if self.data.startswith(b"trailer", lex.pos):
                lex.pos += 7
                trailer = lex.value()
                if not isinstance(trailer, Dict):
                    raise PdfError("trailer is not a dictionary")
                return trailer
            first, count = lex.keyword(), lex.keyword()
            if not (first.isdigit() and count.isdigit()):
                raise PdfError("bad xref subsection")
            first, count = int(first), int(count)
            if count > len(self.data) // 18:
                raise PdfError("xref subsection too long")
            for i in range(count):
                offset, gen, kind = lex.keyword(), lex.keyword(), lex.keyword()
                if not (offset.isdigit() and gen.isdigit()) or kind not in (b"n", b"f"):
                    raise PdfError("bad xref entry")
                if kind == b"n":
                    self.add(first + i, ("offset", int(offset), int(gen)))
                else:
                    self.add(first + i, ("free",))

    def read_xref_stream(self, lex):
        num, gen, obj = lex.keyword(), lex.keyword(), lex.keyword()
        if not (num.isdigit() and gen.isdigit() and obj == b"obj"):
            raise PdfError("no xref section or stream at the startxref offset")
        stream = self.stream_at(lex)
        d = stream.dict
        if d.get(Name(b"Type")) != b"XRef":
            raise PdfError("the xref object is not /Type /XRef")
        widths = d.get(Name(b"W"))
        size = d.get(Name(b"Size"))
        if (not isinstance(widths, list) or len(widths) != 3
                or not all(isinstance(w, int) and 0 <= w <= 8 for w in widths)
                or not isinstance(size, int)):
            raise PdfError("bad /W or /Size in xref stream")
        index = d.get(Name(b"Index"), [0, size])
        data = decode(stream)
        row = sum(widths)
        pos = 0
        for start, count in zip(index[0::2], index[1::2]):
            for i in range(count):
                if pos + row > len(data) or row == 0:
                    raise PdfError("xref stream too short")
                fields = []
                for w in widths:
                    fields.append(int.from_bytes(data[pos:pos + w], "big"))
                    pos += w
                kind = fields[0] if widths[0] else 1
                if kind == 0:
                    self.add(start + i, ("free",))
                elif kind == 1:
                    self.add(start + i, ("offset", fields[1], fields[2]))
                elif kind == 2:
                    self.add(start + i, ("stream", fields[1], fields[2]))
        return d

    def stream_at(self, lex):
        """Parse 'dict stream ... endstream' at lex.pos (after 'N G obj')."""
        d = lex.value()
        if not isinstance(d, Dict):
            raise PdfError("stream object without a dictionary")
        if lex.keyword() != b"stream":
            raise PdfError("no stream keyword")
        pos = lex.pos
        if self.data.startswith(b"\r\n", pos):
            pos += 2
        elif self.data.startswith(b"\n", pos):
            pos += 1
        length = d.get(Name(b"Length"))
        if isinstance(length, Ref):
            length = self.get(length.num)
        if not isinstance(length, int) or length < 0 or pos + length > len(self.data):
            raise PdfError("bad stream /Length")
        return Stream(d, self.data[pos:pos + length])

    def objstm(self, stmnum):
        if stmnum not in self.objstm_cache:
            entry = self.where.get(stmnum)
            if not entry or entry[0] != "offset":
                raise PdfError("object stream %d not found" % stmnum)
            lex = Lexer(self.data, entry[1])
            lex.keyword(), lex.keyword(), lex.keyword()
            stream = self.stream_at(lex)
            data = decode(stream)
            n, first = stream.dict.get(Name(b"N")), stream.dict.get(Name(b"First"))
            if not isinstance(n, int) or not isinstance(first, int):
                raise PdfError("bad object stream header")
            head = Lexer(data, 0, min(first, len(data)))
            offsets = []
            for _ in range(n):
                num, off = head.keyword(), head.keyword()
                if not (num.isdigit() and off.isdigit()):
                    raise PdfError("bad object stream header")
                offsets.append((int(num), first + int(off)))
            self.objstm_cache[stmnum] = (data, offsets)
        return self.objstm_cache[stmnum]

    def locate(self, num):
        """(data, start, end) of the raw bytes of object NUM's value."""
        entry = self.where.get(num)
        if entry is None or entry[0] == "free":
            raise PdfError("object %d not found" % num)
        if entry[0] == "offset":
            lex = Lexer(self.data, entry[1])
            n, g, o = lex.keyword(), lex.keyword(), lex.keyword()
            if n != b"%d" % num or o != b"obj":
                raise PdfError("object %d is not at its xref offset" % num)
            lex.skip_space()
            start = lex.pos
            lex.value()
            return self.data, start, lex.pos
        data, offsets = self.objstm(entry[1])
        if entry[2] >= len(offsets) or offsets[entry[2]][0] != num:
            raise PdfError("object %d not in its object stream" % num)
        lex = Lexer(data, offsets[entry[2]][1])
        lex.skip_space()
        start = lex.pos
        lex.value()
        return data, start, lex.pos

    def generation(self, num):
        entry = self.where.get(num)
        return entry[2] if entry and entry[0] == "offset" else 0

    def get(self, num):
        data, start, end = self.locate(num)
        return Lexer(data, start, end).value()

    def raw(self, num):
        data, start, end = self.locate(num)
        return data[start:end]

    def resolve(self, value):
        return self.get(value.num) if isinstance(value, Ref) else value

    def first_page(self):
        """(number, Dict) of the first page object."""
        root = self.trailer.get(Name(b"Root"))
        if not isinstance(root, Ref):
            raise PdfError("trailer without /Root")
        node = self.get(root.num).get(Name(b"Pages"))
        for _ in range(MAX_DEPTH):
            if not isinstance(node, Ref):
                raise PdfError("page tree node is not a reference")
            d = self.get(node.num)
            if not isinstance(d, Dict):
                raise PdfError("page tree node is not a dictionary")
            if d.get(Name(b"Type")) == b"Page":
                return node.num, d
            kids = d.get(Name(b"Kids"))
            kids = self.resolve(kids)
            if not isinstance(kids, list) or not kids:
                raise PdfError("page tree without pages")
            node = kids[0]
        raise PdfError("page tree too deep")


def find_startxref(pdf):
    """The offset named by the last 'startxref' in the final 1024 bytes."""
    tail_start = max(0, len(pdf) - 1024)
    tail = pdf[tail_start:]
    at = tail.rfind(b"startxref")
    if at < 0:
        return None
    m = re.match(rb"startxref\s+(\d+)", tail[at:])
    return int(m.group(1)) if m else None


def next_object_number(doc_or_pdf):
    """The first free object number above every object in use."""
    if isinstance(doc_or_pdf, Document):
        size = doc_or_pdf.trailer.get(Name(b"Size"))
        top = max(doc_or_pdf.where, default=0) + 1
        return max(size if isinstance(size, int) else 0, top)
    sizes = re.findall(rb"/Size\s+(\d+)", doc_or_pdf)
    if sizes:
        return int(sizes[-1])
    numbers = re.findall(rb"(?:^|\s)(\d+)\s+\d+\s+obj\b", doc_or_pdf)
    return max((int(n) for n in numbers), default=0) + 1


def with_entries(d, changes):
    """The bytes of dictionary D with each key of CHANGES set to its value
    (bytes), every other entry copied as it was."""
    out = [b"<<"]
    for k in d:
        out.append(b"/" + name_bytes(k) + b" " + changes.get(k, d.raw[k]))
    for k, v in changes.items():
        if k not in d:
            out.append(b"/" + name_bytes(k) + b" " + v)
    out.append(b">>")
    return b" ".join(out)


def name_bytes(name):
    """NAME written as a PDF name (without the slash)."""
    out = bytearray()
    for c in name:
        if c < 0x21 or c > 0x7E or c in WHITESPACE or c in DELIMITERS or c == 0x23:
            out += b"#%02X" % c
        else:
            out.append(c)
    return bytes(out)
