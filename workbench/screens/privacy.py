"""Personal data in leads: insured persons appear under a keyed pseudonym (HMAC-SHA-256 with the
workspace's own key), so leads can be shared; the key holder can match a pseudonym to a person.

A pseudonym is a key (the graph's ``Patient`` nodes, the leads' person columns): it carries 128 bits of
the HMAC, so two of a country's insured persons never share one in practice (a 48-bit form would give
about 3,000 shared pseudonyms among 1.3 billion people, merging them). ``short_pseudonym`` is for
display only.

>>> person = pseudonym("50011600000000000000000123", b"k" * 32)
>>> person
'PSN-d589210a8138d289045c69d2e8498bfb'
>>> is_pseudonym(person), is_pseudonym("PSN-d589210a8138")
(True, False)
>>> short_pseudonym(person)
'PSN-d589210a…'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

#: Lead columns that hold a person.
PERSONAL = frozenset({"patient", "buyer", "psn_no", "certno", "psn_name"})
PREFIX = "PSN-"
#: Hex digits of the HMAC in a pseudonym (128 bits) and in its display form.
KEY_HEX = 32
SHORT_HEX = 8
_PSEUDONYM = re.compile(rf"{PREFIX}[0-9a-f]{{{KEY_HEX}}}")


def pseudonym(value: str, key: bytes) -> str:
    """A stable pseudonym for one person number, name or ID number."""
    return PREFIX + hmac.digest(key, value.encode("utf-8"), hashlib.sha256).hex()[:KEY_HEX]


def is_pseudonym(text: object) -> bool:
    """Whether ``text`` is a pseudonym of the current form (older, shorter forms are not)."""
    return isinstance(text, str) and _PSEUDONYM.fullmatch(text) is not None


def short_pseudonym(text: str) -> str:
    """A pseudonym shortened for a caption (not unique: never a key); other text unchanged.

    >>> short_pseudonym("P50011600012")
    'P50011600012'
    """
    return text[: len(PREFIX) + SHORT_HEX] + "…" if is_pseudonym(text) else text


def workspace_key(root: Path) -> bytes:
    """The workspace's pseudonym key (made on first use, readable by its owner only)."""
    path = root / "pseudonym.key"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
    return path.read_bytes()
