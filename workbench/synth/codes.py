"""Trace-code minting and rendering: 20-digit 码上放心 codes and GS1 (GTIN + serial) strings.

A box is identified by (product, packaging level, counter). Counters map to serials through an affine
permutation, so distinct counters always give distinct codes and no set of issued codes is kept.

>>> m = Mint("8612345", 7, 11)
>>> m.nmpa(0), m.nmpa(1)
('86123458910730000022', '86123451745940000029')
>>> gtin_check("0501234567890")
'05012345678900'
>>> g = Mint("05012345678900", 5, 3)
>>> canon = g.gs1_canonical(2)
>>> canon
'0105012345678900210DW1H0000GC'
>>> bracket = render_gs1("05012345678900", g.gs1_serial(2), "270531", "B2401", "bracket")
>>> bracket
'(01)05012345678900(17)270531(10)B2401(21)0DW1H0000GC'
>>> canonical(bracket) == canonical(render_gs1("05012345678900", "0DW1H0000GC", "270531", "B2401", "symid"))
True
>>> canonical(" 86123450000000000011 ")
'86123450000000000011'
"""
from __future__ import annotations

M13 = 10**13
S36 = 36**10
PLAN_BASE = 6_000_000_000_000  # counters of planted boxes start here; background counters start at 0
GS = "\x1d"
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GS1_STYLES = ("bracket", "raw", "symid", "raw_serial_first")


class Mint:
    """Code factory for one product packaging level (a 7-digit prefix or a GTIN-14)."""

    __slots__ = ("prefix", "a", "b")

    def __init__(self, prefix: str, a: int, b: int):
        self.prefix, self.a, self.b = prefix, a, b

    def nmpa(self, c: int) -> str:
        """The 20-digit code of box ``c``: an affine map then two mixing rounds on the 6+7-digit halves,
        each invertible, so the serials of consecutive boxes look unrelated and never collide."""
        h, lo = divmod((self.a * c + self.b) % M13, 10_000_000)
        lo = (lo + (h * 2_654_435_761 + self.b) % 10_000_000) % 10_000_000
        h = (h + (lo * 40_503 + self.a) % 1_000_000) % 1_000_000
        return f"{self.prefix}{h:06d}{lo:07d}"

    def gs1_serial(self, c: int) -> str:
        """An 11-character alphanumeric GS1 serial (AI 21) for box ``c``."""
        h, lo = divmod((self.a * c + self.b) % S36, 60_466_176)  # 36**5
        lo = (lo + (h * 2_654_435_761 + self.b) % 60_466_176) % 60_466_176
        h = (h + (lo * 40_503 + self.a) % 60_466_176) % 60_466_176
        n = h * 60_466_176 + lo
        out = []
        for _ in range(10):
            n, r = divmod(n, 36)
            out.append(_B36[r])
        return "".join(reversed(out)) + _B36[c % 26 + 10]

    def gs1_canonical(self, c: int) -> str:
        """Canonical identity ``01{gtin}21{serial}`` of box ``c``."""
        return f"01{self.prefix}21{self.gs1_serial(c)}"


def gtin_check(body13: str) -> str:
    """GTIN-14 from 13 digits (indicator + company prefix + item reference), adding the mod-10 check digit."""
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body13)))
    return body13 + str((10 - total % 10) % 10)


def gtin_valid(gtin: str) -> bool:
    """True when the last digit of a GTIN-14 is its correct check digit.

    >>> gtin_valid("05012345678900"), gtin_valid("05012345678901")
    (True, False)
    """
    return len(gtin) == 14 and gtin.isdigit() and gtin_check(gtin[:13]) == gtin


def render_gs1(gtin: str, serial: str, expiry: str, lot: str, style: str) -> str:
    """One physical GS1 pack as a scanner or HIS would send it (``style`` in GS1_STYLES)."""
    if style == "bracket":
        return f"(01){gtin}(17){expiry}(10){lot}(21){serial}"
    raw = f"01{gtin}17{expiry}10{lot}{GS}21{serial}"
    if style == "raw":
        return raw
    if style == "symid":
        return "]d2" + raw
    return f"01{gtin}21{serial}{GS}17{expiry}10{lot}"


_FIXED = {"01": 14, "17": 6, "11": 6, "15": 6}


def _parse_raw(s: str) -> dict[str, str]:
    ais: dict[str, str] = {}
    i = 0
    while i + 2 <= len(s):
        ai = s[i:i + 2]
        i += 2
        if ai in _FIXED:
            ais[ai], i = s[i:i + _FIXED[ai]], i + _FIXED[ai]
        else:
            j = s.find(GS, i)
            j = len(s) if j < 0 else j
            ais[ai], i = s[i:j], j + 1
    return ais


def canonical(text: str) -> str:
    """Canonical identity of a rendered code: stripped 20-digit code, or ``01{gtin}21{serial}`` for GS1."""
    s = text.strip()
    for sym in ("]d2", "]Q3", "]C1"):
        if s.startswith(sym):
            s = s[3:]
    if s.startswith("("):
        parts = s[1:].split("(")
        ais = dict(p.split(")", 1) for p in parts)
    elif s.startswith("01") and (GS in s or len(s) > 24):
        ais = _parse_raw(s)
    else:
        return s
    return f"01{ais.get('01', '')}21{ais.get('21', '')}"
