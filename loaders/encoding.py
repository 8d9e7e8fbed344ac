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


def detect_encoding(sample: bytes) -> str:
    """Name the codec that decodes ``sample``: utf-8-sig, utf-8, utf-16 or gb18030.

    GB18030 is a superset of GBK and GB2312, so one name covers all three. Raises ``BadInput``
    when no candidate decodes the bytes.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for name in ("utf-8", "gb18030"):
        if _decodes(sample, name):
            return name
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
