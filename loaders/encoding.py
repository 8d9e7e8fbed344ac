"""Text encodings of uploaded files: UTF-8 (with or without BOM) and GB18030/GBK, detected from bytes.

>>> detect_encoding("追溯码".encode("gb18030"))
'gb18030'
>>> detect_encoding(b"\\xef\\xbb\\xbfa,b")
'utf-8-sig'
>>> detect_encoding("追溯码".encode("utf-8"))
'utf-8'
>>> mixed = "奥美拉唑\\n".encode() * 3 + "张三\\n".encode("gb18030")
>>> detect_encoding(mixed), detect_encoding(b"\\xff\\n" + "奥美拉唑肠溶胶囊\\n".encode("gb18030"))
('utf-8', 'gb18030')
"""

from __future__ import annotations

import codecs
from pathlib import Path

from loaders.errors import BadInput

SAMPLE_BYTES = 1 << 20
#: Once the sample is not UTF-8, this much of it must read as GB18030 (a later bad byte is reported by
#: the reader, with the file, before anything is written).
GB18030_CHECK_BYTES = 64 << 10


def detect_encoding(sample: bytes) -> str:
    """Name the codec that decodes ``sample``: utf-8-sig, utf-8, utf-16 or gb18030.

    GB18030 is a superset of GBK and GB2312, so one name covers all three. A file mostly in one of
    UTF-8 and GB18030 with some lines in another encoding is named by its majority (line by line).
    Raises ``BadInput`` when no candidate decodes the bytes.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample[:GB18030_CHECK_BYTES], "gb18030"):
        return "utf-8" if _mostly_utf8(sample) else "gb18030"
    votes = _line_votes(sample)
    if max(votes.values()):
        return max(votes, key=votes.get)
    guess = _charset_normalizer_guess(sample)
    if guess:
        return guess
    raise BadInput(
        "无法识别文本编码 / cannot tell the text encoding",
        hint="save the file as UTF-8 or GB18030",
    )


def _mostly_utf8(sample: bytes) -> bool:
    """True when at least as many of the sample's lines with non-ASCII bytes are UTF-8 as are GB18030:
    UTF-8 text often also decodes as GB18030 (wrongly), seldom the other way round, so the two are told
    apart line by line and a tie goes to UTF-8 (a GB18030 line is then rejected, not misread).

    >>> _mostly_utf8("奥美拉唑\\n阿莫西林\\n".encode() + "张三\\n".encode("gb18030"))
    True
    """
    from loaders import native

    end = sample.rfind(b"\n")
    whole = sample[:end] if end > 0 else sample  # the last line may be cut off
    if native.available():
        utf8, other = native.tcw_native.utf8_lines(whole)
    else:
        votes = _line_votes(whole)
        utf8, other = votes["utf-8"], votes["gb18030"]
    return utf8 >= other and utf8 > 0


def _line_votes(sample: bytes) -> dict[str, int]:
    """How many of the sample's whole lines with non-ASCII bytes decode as UTF-8, and how many (of the
    others) as GB18030. A file in one of the two with a few lines in another is read in the first; the
    lines that do not decode become rejects."""
    lines = sample.split(b"\n")
    votes = {"utf-8": 0, "gb18030": 0}
    for line in lines[:-1] if len(lines) > 1 else lines:  # the last line may be cut off
        if line.isascii():
            continue
        for name in votes:
            try:
                line.decode(name)
            except UnicodeDecodeError:
                continue
            votes[name] += 1
            break
    return votes


def detect_file_encoding(path: Path) -> str:
    """Detect the encoding of a file from its first megabyte."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    try:
        return detect_encoding(sample)
    except BadInput as error:
        error.path = str(path)
        raise


def _decodes(sample: bytes, name: str) -> bool:
    """True when ``sample`` decodes, allowing a character cut at the end of the sample."""
    from loaders import native

    if name == "utf-8" and native.available():
        return native.tcw_native.utf8_prefix(sample)
    decoder = codecs.getincrementaldecoder(name)()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _charset_normalizer_guess(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else None


def to_utf8(data: bytes, encoding: str) -> bytes | None:
    """``data`` as UTF-8, or None when some of it does not decode in ``encoding`` (nothing is replaced).

    >>> to_utf8("药".encode("gb18030"), "gb18030") == "药".encode(), to_utf8(b"\\xff", "gb18030")
    (True, None)
    """
    from loaders import native

    if encoding in ("utf-8", "utf-8-sig"):
        return data if _strict(data, "utf-8") is not None else None
    text = native.tcw_native.gb18030_to_utf8(data) if encoding == "gb18030" and native.available() else None
    text = text if text is not None else _strict(data, encoding)
    if text is not None and encoding == "gb18030" and _holds_utf8_line(data):
        return None
    return text


def _holds_utf8_line(data: bytes) -> bool:
    """Whether GB18030 text holds a line that is UTF-8 text (read as GB18030 it would be mojibake)."""
    from loaders import native

    if native.available():
        return any(is_utf8_text(data[start:end]) for start, end in native.tcw_native.utf8_line_spans(data))
    return any(is_utf8_text(line) for line in _maybe_utf8_lines(data))


def _maybe_utf8_lines(data: bytes) -> list[bytes]:
    """The lines with non-ASCII bytes where every run of them starts with a UTF-8 lead byte (C2–F4): the
    others cannot be UTF-8 (most GB18030 lines, whose lead bytes 81–C1 would be continuation bytes)."""
    import numpy as np

    array = np.frombuffer(data, np.uint8)
    high = array >= 0x80
    starts = np.flatnonzero(high & ~np.concatenate([[False], high[:-1]]))
    breaks = np.flatnonzero(array == 10)
    line = np.searchsorted(breaks, starts)
    impossible = np.unique(line[(array[starts] < 0xC2) | (array[starts] > 0xF4)])
    bounds = np.concatenate([[-1], breaks, [len(data)]])
    return [data[bounds[i] + 1 : bounds[i + 1]] for i in np.setdiff1d(np.unique(line), impossible).tolist()]


def is_utf8_text(line: bytes) -> bool:
    """True for bytes of a GB18030 file that are UTF-8 Chinese: they decode as UTF-8, and read as GB18030
    fewer than half of their two-byte characters are common hanzi (GB2312 level 1, leads B0–D7), as with
    mojibake. Genuine GB18030 text that happens to be valid UTF-8 (a short name such as 药品) is mostly
    common hanzi and is not taken for UTF-8.

    >>> is_utf8_text("奥美拉唑".encode()), is_utf8_text("药品".encode("gb18030")), is_utf8_text(b"3505,P1")
    (True, False, False)
    """
    if line.isascii() or _strict(line, "utf-8") is None:
        return False
    wide = [c for c in line.decode("gb18030", "replace") if ord(c) > 0x7F]
    common = sum(1 for c in wide if len(b := c.encode("gb18030", "replace")) == 2 and 0xB0 <= b[0] <= 0xD7)
    return common * 2 < len(wide)


def _strict(data: bytes, encoding: str) -> bytes | None:
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_lines(data: bytes, encoding: str) -> tuple[bytes, list[tuple[int, bytes]]]:
    """Whole lines as UTF-8, each line that does not decode in ``encoding`` left empty; and those lines
    as (position from 0, bytes as read). A file is never decoded with replacement characters.

    >>> decode_lines(b"a\\n" + "药".encode("gb18030") + b"\\xff\\nb", "gb18030")
    (b'a\\n\\nb', [(1, b'\\xd2\\xa9\\xff')])
    """
    whole = to_utf8(data, encoding)
    if whole is not None:
        return whole, []
    lines, bad = [], []
    for position, line in enumerate(data.split(b"\n")):
        text = to_utf8(line, encoding)
        if text is None:
            bad.append((position, line))
        lines.append(text or b"")
    return b"\n".join(lines), bad


def undecodable(line: bytes, encoding: str) -> tuple[str, str]:
    """(reason, text to show) for a line that does not decode in its file's ``encoding``: shown as it
    reads in the other usual encoding when it does, else with the bytes that do not decode as ``\\xNN``.

    >>> undecodable("张三".encode("gb18030"), "utf-8")[1]
    '张三'
    """
    name = "GB18030" if encoding == "gb18030" else "UTF-8"
    other = "utf-8" if encoding == "gb18030" else "gb18030"
    line = line.rstrip(b"\r\n")
    try:
        shown, note = line.decode(other), f"; it reads as {other.upper()}"
    except UnicodeDecodeError:
        shown, note = line.decode("utf-8" if other == "gb18030" else "gb18030", "backslashreplace"), ""
    reason = (f"该行不是 {name} 编码，无法读取 / the line is not {name} text, the file's encoding{note}: "
              "save the whole file in one encoding (UTF-8 or GB18030) and load it again")
    return reason, shown
