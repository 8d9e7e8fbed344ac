"""追溯码规则库: normalise, classify and canonicalise drug trace codes (药品追溯码).

Every value from a trace-code field becomes a :class:`TraceCode` whose ``scheme`` is one of :data:`SCHEMES`:

* ``nmpa20``: 码上放心 codes, 20 digits starting with 8 (7-digit 药品标识码 + 13-digit serial), no checksum;
* ``gs1``: GS1 element strings with (01) GTIN-14 and (21) serial; identity ``'01' + gtin + '21' + serial``;
* ``other``: enterprise codes, 8-100 characters of ``[A-Za-z0-9-]``;
* ``invalid``: unusable, with a reason (Chinese / English);
* ``none``: empty, or a placeholder such as ``无`` or twenty zeros.

>>> parse_trace_code("８１２３ ４５６０ ００００ ００００ ００１２").code
'81234560000000000012'
>>> parse_trace_code("]d2010690123456789210B123<GS>21SN001").code
'010690123456789221SN001'
>>> parse_trace_code("8123456000000000001").reason
'长度 19 位，应为 20 位 / length 19, expected 20'
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SCHEMES: tuple[str, ...] = ("nmpa20", "gs1", "other", "invalid", "none")
NMPA20_FAST_PATTERN = "8[0-9]{19}"
GS = "\x1d"
MAX_LEN = 100  # the NHSA trace-code field maximum
COLUMNS: tuple[str, ...] = ("code", "scheme", "reason", "product_id", "serial", "expiry", "batch")

R_PLACEHOLDER = "占位符，无追溯码 / placeholder, no trace code"
R_NO_SERIAL = "GS1 码缺少序列号 (21) / GS1 code lacks serial (21)"
R_NO_GTIN = "GS1 码缺少商品标识 (01) / GS1 code lacks GTIN (01)"
R_CHECK = "GTIN-14 校验位错误 / GTIN-14 check digit mismatch"
R_DATE = "AI (17) 有效期日期无效 / AI (17) invalid expiry date"
R_BRACKETS = "GS1 括号格式错误 / malformed bracketed GS1 string"
R_SCIENTIFIC = "疑似 Excel 科学计数法，码已丢失 / Excel scientific notation, code lost"

# AI -> (fixed length or 0 for variable, max length, numeric only)
_AIS: dict[str, tuple[int, int, bool]] = {
    "01": (14, 14, True),  # GTIN-14
    "11": (6, 6, True),  # production date, skipped
    "17": (6, 6, True),  # expiry YYMMDD
    "10": (0, 20, False),  # batch
    "21": (0, 20, False),  # serial
    "30": (0, 8, True),  # variable count, skipped
    "37": (0, 8, True),  # count of items, skipped
    "240": (0, 30, False),  # additional product id, skipped
    "241": (0, 30, False),  # customer part number, skipped
    **{str(ai): (0, 20, False) for ai in range(710, 716)},  # national healthcare reimbursement numbers
}
_PLACEHOLDERS = frozenset({"无", "无码", "无追溯码", "空", "null", "none", "nan", "<na>", "n/a", "na", "—"})
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_STRIP = " \t\r\n\v\f\u00a0\u3000\ufeff\u200b"

_NMPA20_MATCH = re.compile(NMPA20_FAST_PATTERN).fullmatch
_AIM_MATCH = re.compile(r"\][A-Za-z][0-9]").match
_GS_TEXT = re.compile(r"<GS>|\{GS\}|\\x1d|\\u001d|\u241d|\^\]", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+[0-9]+").fullmatch  # 8.12346E+19
_ILLEGAL = re.compile(r"[^A-Za-z0-9-]").search
_AI_BRACKET = re.compile(r"\(([0-9]{2,4})\)")
_CSET82 = re.compile(r'[!"%-?A-Z_a-z]+').fullmatch  # GS1 AI encodable character set 82
#: Characters that always separate the codes of one cell: ASCII ``, ; |``, their full-width forms and
#: the ideographic comma. Whitespace separates too (:data:`_SPACES`), except that single gaps inside a
#: 20-digit code keep it whole. The SQL pre-filter and the compiled reader use the same set.
CODE_SEPARATORS = ",;|，；｜、"
_SEPARATORS = re.compile(f"[{re.escape(CODE_SEPARATORS)}\r\n\t]+")
#: Unicode whitespace and the zero-width space, but not GS (U+001D) and its kin U+001C–U+001F, which
#: Python counts as whitespace: GS is part of GS1 element strings.
_SPACES = re.compile(r"((?:(?![\x1c-\x1f])\s|\u200b)+)")


@dataclass(frozen=True, slots=True)
class TraceCode:
    """One parsed trace code; ``code`` is the identity of the physical pack.

    >>> parse_trace_code(None)
    TraceCode(raw='', code='', scheme='none', reason='', product_id='', serial='', expiry='', batch='')
    """

    raw: str
    code: str
    scheme: str
    reason: str
    product_id: str
    serial: str
    expiry: str
    batch: str


class _TraceCodeTwin:
    """Mutable twin of :class:`TraceCode` with the identical slot layout, to build one ~3x faster.

    Its ``__init__`` fills the slots with plain attribute stores, then switches the instance's class
    (allowed between classes of identical layout), so callers only ever see a frozen ``TraceCode``.

    >>> t = _new("x", "x", "other", "", "", "", "", "")
    >>> type(t) is TraceCode and t == TraceCode("x", "x", "other", "", "", "", "", "")
    True
    """

    __slots__ = TraceCode.__slots__

    def __init__(self, raw, code, scheme, reason, product_id, serial, expiry, batch) -> None:
        self.raw, self.code, self.scheme, self.reason = raw, code, scheme, reason
        self.product_id, self.serial, self.expiry, self.batch = product_id, serial, expiry, batch
        self.__class__ = TraceCode


_new: Callable[..., TraceCode] = _TraceCodeTwin  # type: ignore[assignment]


class _Bad(ValueError):
    """A reason why a string is not a usable GS1 code."""


def parse_trace_code(raw: str | None) -> TraceCode:
    """Classify one trace-code value; never raises.

    >>> t = parse_trace_code("81234560000000000012")
    >>> t.scheme, t.product_id, t.serial
    ('nmpa20', '8123456', '0000000000012')
    >>> t = parse_trace_code("(01)06901234567892(17)260200(10)B123(21)SN001")
    >>> t.scheme, t.product_id, t.serial, t.expiry, t.batch
    ('gs1', '06901234567892', 'SN001', '2026-02-28', 'B123')
    >>> parse_trace_code("无").scheme, parse_trace_code("ABC-12345").scheme
    ('none', 'other')
    """
    if raw.__class__ is str:
        if len(raw) == 20 and _NMPA20_MATCH(raw):  # the common case, kept cheap
            return _new(raw, raw, "nmpa20", "", raw[:7], raw[7:], "", "")
        return _parse_text(raw)
    text = _coerce(raw)
    if text is None:
        return _new("", "", "none", "", "", "", "", "")
    return parse_trace_code(text)


def _coerce(value: object) -> str | None:
    """Text for a non-``str`` cell value (``None`` and NaN are missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _parse_text(raw: str) -> TraceCode:
    """The full rule chain, for everything the fast path does not take."""
    s = _clean(raw)
    n = len(s)
    if n == 20 and _NMPA20_MATCH(s):
        return _new(raw, s, "nmpa20", "", s[:7], s[7:], "", "")
    if not s:
        return _new(raw, "", "none", "", "", "", "", "")
    if not s.strip("0-/") or s.lower() in _PLACEHOLDERS:
        return _new(raw, "", "none", R_PLACEHOLDER, "", "", "", "")
    if n > MAX_LEN:
        return _invalid(raw, s, f"长度 {n} 位，超过 {MAX_LEN} 位上限 / length {n} exceeds {MAX_LEN}")
    explicit = s[0] == "(" or GS in s
    if explicit or s[:2] in _AIS or s[:3] in _AIS:
        found = _try_gs1(raw, s, explicit)
        if found is not None:
            return found
    return _parse_plain(raw, s)


def _clean(raw: str) -> str:
    """Undo scanner and spreadsheet artefacts.

    >>> _clean("　]d2(01)06901234567892 (21)A1<GS> ")
    '(01)06901234567892(21)A1'
    >>> _clean("'8123 4560 0000 0000 0012")
    '81234560000000000012'
    """
    s = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    s = s.strip(_STRIP)
    if s[:1] == "'":  # spreadsheet text marker
        s = s[1:].lstrip(_STRIP)
    if s[:1] == "]" and _AIM_MATCH(s):  # symbology identifier such as ]d2, ]Q3, ]C1
        s = s[3:].lstrip(_STRIP)
    if _GS_TEXT.search(s):
        s = _GS_TEXT.sub(GS, s)
    s = s.strip(_STRIP + GS)
    if " " in s and (s[0] == "(" or GS in s or s.replace(" ", "").isdigit()):
        s = s.replace(" ", "")  # digit groups, or GS1 data (which never contains spaces)
    return s


def _invalid(raw: str, cleaned: str, reason: str) -> TraceCode:
    return _new(raw, cleaned, "invalid", reason, "", "", "", "")


def _parse_plain(raw: str, s: str) -> TraceCode:
    """Rules for strings that are not GS1: near-miss nmpa20, enterprise codes, junk."""
    n = len(s)
    if s[0] == "8" and n in (19, 21) and s.isascii() and s.isdigit():
        return _invalid(raw, s, f"长度 {n} 位，应为 20 位 / length {n}, expected 20")
    if _SCIENTIFIC(s):
        return _invalid(raw, s, R_SCIENTIFIC)
    bad = _ILLEGAL(s)
    if bad:
        ch = bad.group()
        shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
        return _invalid(raw, s, f"含非法字符 {shown} / illegal character {shown}")
    if n < 8:
        return _invalid(raw, s, f"长度 {n} 位，过短（至少 8 位） / length {n}, too short (min 8)")
    return _new(raw, s, "other", "", "", "", "", "")


def _try_gs1(raw: str, s: str, explicit: bool) -> TraceCode | None:
    """Parse ``s`` as GS1; ``None`` when it merely started like GS1 but is not (``explicit`` is False)."""
    try:
        fields = _gs1_fields(_gs1_elements(s))
    except _Bad as bad:
        return _invalid(raw, s, str(bad)) if explicit else None
    if not explicit and "01" not in fields:
        return None
    try:
        return _gs1_result(raw, fields)
    except _Bad as bad:
        return _invalid(raw, s, str(bad))


def _gs1_elements(s: str) -> list[tuple[str, str]]:
    """Split a bracketed or raw (GS-separated or not) element string into (AI, value) pairs.

    >>> _gs1_elements("(17)261231(21)X")
    [('17', '261231'), ('21', 'X')]
    >>> _gs1_elements("10B1" + GS + "0106901234567892")
    [('10', 'B1'), ('01', '06901234567892')]
    """
    if s[0] == "(":
        parts = _AI_BRACKET.split(s.replace(GS, ""))
        if parts[0] or len(parts) < 3:
            raise _Bad(R_BRACKETS)
        return list(zip(parts[1::2], parts[2::2], strict=True))
    out, i, n = [], 0, len(s)
    while i < n:
        if s[i] == GS:
            i += 1
            continue
        ai = s[i : i + 2] if s[i : i + 2] in _AIS else s[i : i + 3]
        if ai not in _AIS:
            raise _Bad(f"GS1 位置 {i} 处 AI 无法识别 / GS1: unknown AI at position {i}")
        fixed = _AIS[ai][0]
        start = i + len(ai)
        end = start + fixed if fixed else s.find(GS, start)
        if end < 0:
            end = n
        out.append((ai, s[start:end]))
        i = end
    return out


def _gs1_fields(elements: list[tuple[str, str]]) -> dict[str, str]:
    """Check every element's length and characters; return AI -> value."""
    fields: dict[str, str] = {}
    for ai, value in elements:
        spec = _AIS.get(ai)
        if spec is None:
            raise _Bad(f"不支持的 AI ({ai}) / unsupported AI ({ai})")
        fixed, longest, numeric = spec
        if not (len(value) == fixed if fixed else 0 < len(value) <= longest):
            raise _Bad(f"AI ({ai}) 长度错误 / AI ({ai}) wrong length")
        if not (value.isascii() and value.isdigit() if numeric else _CSET82(value)):
            raise _Bad(f"AI ({ai}) 含非法字符 / AI ({ai}) illegal characters")
        if fields.setdefault(ai, value) != value:
            raise _Bad(f"AI ({ai}) 重复且取值不同 / AI ({ai}) repeated with different values")
    return fields


def _gs1_result(raw: str, fields: dict[str, str]) -> TraceCode:
    gtin = fields.get("01")
    if gtin is None:
        raise _Bad(R_NO_GTIN)
    if gtin_check_digit(gtin[:13]) != gtin[13]:
        raise _Bad(R_CHECK)
    serial = fields.get("21")
    if serial is None:
        raise _Bad(R_NO_SERIAL)
    expiry = _expiry(fields["17"]) if "17" in fields else ""
    code = "01" + gtin + "21" + serial
    return _new(raw, code, "gs1", "", gtin, serial, expiry, fields.get("10", ""))


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit for the ASCII digits before it (any GTIN length).

    >>> gtin_check_digit("0690123456789"), gtin_check_digit("629104150021")
    ('2', '3')
    """
    digits = body.encode()  # indexing bytes gives ints: ord(d) = 48 + d
    odd, even = digits[-1::-2], digits[-2::-2]  # weights 3, 1, 3, ... from the right
    return str((48 * (3 * len(odd) + len(even)) - 3 * sum(odd) - sum(even)) % 10)


def _expiry(yymmdd: str) -> str:
    """AI (17) as ISO date; century 20xx; day 00 means the month's last day.

    >>> _expiry("240200"), _expiry("261231")
    ('2024-02-29', '2026-12-31')
    """
    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise _Bad(R_DATE)
    last = 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month]
    if day > last:
        raise _Bad(R_DATE)
    return f"20{yymmdd[:2]}-{yymmdd[2:4]}-{day or last:02d}"


def split_code_cell(cell: str | None) -> list[str]:
    """Split one CSV/Excel cell holding several codes at :data:`CODE_SEPARATORS` and whitespace (full-width
    space U+3000 included); GS is not a separator.

    Single-space-separated digit groups that add up to exactly 20 digits stay one code, and so do the
    space-separated elements of one bracketed GS1 string.

    >>> split_code_cell("81234560000000000012，81234560000000000013; ABC-12345")
    ['81234560000000000012', '81234560000000000013', 'ABC-12345']
    >>> split_code_cell("8123 4560 0000 0000 0012 (01)06901234567892 (21)A1")
    ['8123 4560 0000 0000 0012', '(01)06901234567892 (21)A1']
    >>> split_code_cell("81234560000000000012\u300081234560000000000013｜ABC-12345")
    ['81234560000000000012', '81234560000000000013', 'ABC-12345']
    """
    if cell.__class__ is not str:
        cell = _coerce(cell)
        if cell is None:
            return []
    out: list[str] = []
    for chunk in _SEPARATORS.split(cell):
        parts = _SPACES.split(chunk)
        out.extend(_join_tokens(parts[0::2], parts[1::2]))
    return out


def _join_tokens(tokens: list[str], gaps: list[str]) -> list[str]:
    """Re-join whitespace-split tokens that belong to one code (see :func:`split_code_cell`)."""
    out: list[str] = []
    last_ais: set[str] = set()
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        end = _digit_run_end(tokens, gaps, i)
        if end > i:
            out.append("".join(t + g for t, g in zip(tokens[i:end], gaps[i:end], strict=True)) + tokens[end])
            last_ais, i = set(), end + 1
            continue
        ais = set(_AI_BRACKET.findall(unicodedata.normalize("NFKC", tok))) if tok[:1] in "(（" else set()
        if ais and last_ais and not ais & last_ais:
            out[-1] += gaps[i - 1] + tok
            last_ais |= ais
        elif tok:
            out.append(tok)
            last_ais = ais
        i += 1
    return out


def _digit_run_end(tokens: list[str], gaps: list[str], i: int) -> int:
    """Index of the last token of a single-space-separated digit run from ``i`` totalling 20 digits, else -1."""
    total = 0
    for k in range(i, len(tokens)):
        tok = tokens[k]
        if not tok.isdecimal():
            return -1
        total += len(tok)
        if total >= 20:
            return k if total == 20 else -1
        if k >= len(gaps) or len(gaps[k]) != 1:
            return -1
    return -1


def parse_many(raws: Iterable[str | None]) -> dict[str, list[str]]:
    """Parse a column of values; return one list per field in :data:`COLUMNS` (for vectorised UDFs).

    >>> cols = parse_many(["81234560000000000012", None, "12"])
    >>> cols["scheme"], cols["product_id"]
    (['nmpa20', 'none', 'invalid'], ['8123456', '', ''])
    """
    if hasattr(raws, "to_pylist"):  # a pyarrow array or chunked array
        raws = raws.to_pylist()
    parsed = [parse_trace_code(raw) for raw in raws]
    return {name: [getattr(t, name) for t in parsed] for name in COLUMNS}
