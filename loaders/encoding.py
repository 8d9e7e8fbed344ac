"""Text encodings of uploaded files: UTF-8 (with or without BOM) and GB18030/GBK, detected from bytes.

>>> detect_encoding("追溯码".encode("gb18030"))
'gb18030'
>>> detect_encoding(b"\\xef\\xbb\\xbfa,b")
'utf-8-sig'
>>> detect_encoding("追溯码".encode("utf-8"))
'utf-8'
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

    GB18030 is a superset of GBK and GB2312, so one name covers all three. Raises ``BadInput``
    when no candidate decodes the bytes.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample[:GB18030_CHECK_BYTES], "gb18030"):
        return "gb18030"
    guess = _charset_normalizer_guess(sample)
    if guess:
        return guess
    raise BadInput(
        "无法识别文本编码 / cannot tell the text encoding",
        hint="save the file as UTF-8 or GB18030",
    )


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
