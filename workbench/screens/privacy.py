"""Personal data in leads: insured persons appear under a keyed pseudonym (HMAC-SHA-256 with the
workspace's own key), so leads can be shared; the key holder can match a pseudonym to a person.

>>> pseudonym("50011600000000000000000123", b"k" * 32)
'PSN-d589210a8138'
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

#: Lead columns that hold a person.
PERSONAL = frozenset({"patient", "buyer", "psn_no", "certno", "psn_name"})


def pseudonym(value: str, key: bytes) -> str:
    """A stable pseudonym for one person number, name or ID number."""
    return "PSN-" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def workspace_key(root: Path) -> bytes:
    """The workspace's pseudonym key (made on first use, readable by its owner only)."""
    path = root / "pseudonym.key"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
    return path.read_bytes()
