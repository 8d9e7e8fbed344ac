"""Tests for the trace-code rules library (追溯码规则库)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import tracecode as tc
from loaders.tracecode import (
    NMPA20_FAST_PATTERN,
    SCHEMES,
    TraceCode,
    parse_many,
    parse_trace_code,
    split_code_cell,
)

GS = "\x1d"
GTIN = "06901234567892"  # valid: 0690123456789 -> check digit 2
CANON = "01" + GTIN + "21SN001"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GS_TEXTS = ("<GS>", "<gs>", "{GS}", "\\x1d", "\u241d", "^]", GS)

relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # shared CI machines are slow


def check_digit(body: str) -> str:
    """Independent GS1 mod-10 reference: weights 3,1,3,... from the rightmost body digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def fullwidth(text: str) -> str:
    """The full-width (全角) form of printable ASCII, as typed with a Chinese IME."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def fields(t: TraceCode) -> tuple[str, ...]:
    return (t.code, t.scheme, t.reason, t.product_id, t.serial, t.expiry, t.batch)


# ---------------------------------------------------------------- examples per scheme


@pytest.mark.parametrize(
    "raw",
    [
        "81234560000000000012",
        " 81234560000000000012\t",
        "\u300081234560000000000012\u3000",
        fullwidth("81234560000000000012"),
        "8123 4560 0000 0000 0012",
        "8123456 0000000000012",
        fullwidth("8123\u30004560\u30000000\u30000000\u30000012"),
        "]C081234560000000000012",
        "]Q181234560000000000012",
        "'81234560000000000012",
        "\ufeff81234560000000000012\r\n",
    ],
)
def test_nmpa20_examples(raw):
    t = parse_trace_code(raw)
    assert (t.raw, t.code, t.scheme, t.reason) == (raw, "81234560000000000012", "nmpa20", "")
    assert (t.product_id, t.serial, t.expiry, t.batch) == ("8123456", "0000000000012", "", "")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, ""),
        ("", ""),
        ("   \u3000 ", ""),
        ("0", tc.R_PLACEHOLDER),
        ("0" * 20, tc.R_PLACEHOLDER),
        ("0000 0000 0000 0000 0000", tc.R_PLACEHOLDER),
        ("无", tc.R_PLACEHOLDER),
        ("无码", tc.R_PLACEHOLDER),
        ("NULL", tc.R_PLACEHOLDER),
        ("null", tc.R_PLACEHOLDER),
        ("N/A", tc.R_PLACEHOLDER),
        (fullwidth("N/A"), tc.R_PLACEHOLDER),
        ("-", tc.R_PLACEHOLDER),
        ("/", tc.R_PLACEHOLDER),
        ("nan", tc.R_PLACEHOLDER),
    ],
)
def test_none_examples(raw, reason):
    t = parse_trace_code(raw)
    assert (t.scheme, t.code, t.reason) == ("none", "", reason)
    assert t.raw == ("" if raw is None else raw)


def test_placeholder_reason_text():
    assert tc.R_PLACEHOLDER == "占位符，无追溯码 / placeholder, no trace code"


@pytest.mark.parametrize(
    "raw",
    [
        "(01)06901234567892(17)261231(10)B123(21)SN001",
        "(21)SN001(10)B123(01)06901234567892(17)261231",
        fullwidth("(01)06901234567892(21)SN001"),
        "(01) 06901234567892 (17) 261231 (21) SN001",
        "0106901234567892172612311 0B123<GS>21SN001",  # with a stray space inside the batch element
        "010690123456789217261231" + "10B123" + GS + "21SN001",
        "]d2010690123456789217261231" + "10B123{GS}21SN001",
        "]Q3" + GS + "010690123456789210B123\\x1d21SN001",
        "]C110B123\u241d0106901234567892" + "17261231" + "21SN001",
        "10B123^]0106901234567892" + "21SN001",
        "010690123456789217261231" + "21SN001",
        "0106901234567892" + "21SN001",
        "17261231" + "0106901234567892" + "21SN001",
        "(01)06901234567892(11)250101(30)12(37)5(240)ABC(241)XY-1(21)SN001",
        "0106901234567892" + "1125010130" + "12" + GS + "375" + GS + "240ABC" + GS + "21SN001",
        "(01)06901234567892(712)ZA123(21)SN001",
    ],
)
def test_gs1_renderings_of_one_pack(raw):
    t = parse_trace_code(raw)
    assert (t.scheme, t.code, t.reason, t.product_id, t.serial) == ("gs1", CANON, "", GTIN, "SN001")


def test_gs1_fields():
    t = parse_trace_code("(01)06901234567892(17)261231(10)B123(21)SN001")
    assert (t.expiry, t.batch) == ("2026-12-31", "B123")
    assert parse_trace_code("(01)06901234567892(17)240200(21)X").expiry == "2024-02-29"
    assert parse_trace_code("(01)06901234567892(17)250200(21)X").expiry == "2025-02-28"
    assert parse_trace_code("(01)06901234567892(21)X").expiry == ""


@pytest.mark.parametrize(
    "raw",
    [
        "ABC-12345",
        "12345678",
        "1E234567",
        "12345678901234567890",
        "02345678901234567890",
        "A" * 100,
        "zj-2024-000001",
    ],
)
def test_other_examples(raw):
    t = parse_trace_code(raw)
    assert (t.scheme, t.code, t.reason, t.product_id, t.serial) == ("other", raw, "", "", "")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("8123456000000000001", "长度 19 位，应为 20 位 / length 19, expected 20"),
        ("812345600000000000123", "长度 21 位，应为 20 位 / length 21, expected 20"),
        ("ABC#12345", "含非法字符 '#' / illegal character '#'"),
        ("81234560000000000\t012", "含非法字符 U+0009 / illegal character U+0009"),
        ("A" * 101, "长度 101 位，超过 100 位上限 / length 101 exceeds 100"),
        ("1234567", "长度 7 位，过短（至少 8 位） / length 7, too short (min 8)"),
        ("8.12346E+19", tc.R_SCIENTIFIC),
        ("8.123456e+19", tc.R_SCIENTIFIC),
        ("812345\u0666" + "0" * 13, "含非法字符 '\u0666' / illegal character '\u0666'"),  # Arabic-Indic digit
        ("(01)06901234567893(21)SN001", "GTIN-14 校验位错误 / GTIN-14 check digit mismatch"),
        ("0106901234567893" + "21SN001", tc.R_CHECK),
        ("(01)06901234567892(17)261231", "GS1 码缺少序列号 (21) / GS1 code lacks serial (21)"),
        ("0106901234567892" + "10B123" + "21SN001", tc.R_NO_SERIAL),  # no GS: the batch swallows the rest
        ("(21)SN001(17)261231", tc.R_NO_GTIN),
        ("(01)06901234567892(17)261301(21)X", tc.R_DATE),
        ("(01)06901234567892(17)250229(21)X", tc.R_DATE),
        ("(0106901234567892", tc.R_BRACKETS),
        ("(01)06901234567892(99)X(21)A", "不支持的 AI (99) / unsupported AI (99)"),
        ("0106901234567892" + GS + "99X", "GS1 位置 17 处 AI 无法识别 / GS1: unknown AI at position 17"),
        ("(01)0690123456789(21)A", "AI (01) 长度错误 / AI (01) wrong length"),
        ("(01)06901234567892(21)" + "A" * 21, "AI (21) 长度错误 / AI (21) wrong length"),
        ("(01)06901234567892(21)", "AI (21) 长度错误 / AI (21) wrong length"),
        ("0106901234567892" + "10" + GS + "21SN001", "AI (10) 长度错误 / AI (10) wrong length"),
        ("(01)06901234567892(21)AB#1", "AI (21) 含非法字符 / AI (21) illegal characters"),
        ("(01)06901234567892(21)A(21)B", "AI (21) 重复且取值不同 / AI (21) repeated with different values"),
        ("]d2" + "8123456000000000001", "长度 19 位，应为 20 位 / length 19, expected 20"),
    ],
)
def test_invalid_examples(raw, reason):
    t = parse_trace_code(raw)
    assert (t.scheme, t.reason) == ("invalid", reason)
    assert (t.product_id, t.serial, t.expiry, t.batch) == ("", "", "", "")
    assert t.code and t.raw == raw


def test_symbology_identifier_is_stripped_from_any_scheme():
    assert fields(parse_trace_code("]d2ABCDEFGH")) == ("ABCDEFGH", "other", "", "", "", "", "")
    assert parse_trace_code("]C1" + "0" * 20).scheme == "none"


def test_invalid_code_is_the_cleaned_string():
    assert parse_trace_code("\u3000" + fullwidth("8123456000000000001")).code == "8123456000000000001"
    assert (
        parse_trace_code("]d2(01)06901234567893<GS>(21)SN001").code == "(01)06901234567893" + GS + "(21)SN001"
    )


def test_non_str_cells():
    assert parse_trace_code(81234560000000000012).code == "81234560000000000012"
    assert parse_trace_code(float("nan")).scheme == "none"
    assert parse_trace_code(8.123456e19).reason == tc.R_SCIENTIFIC
    assert parse_trace_code(b"81234560000000000012").scheme == "nmpa20"


def test_trace_code_is_a_frozen_value():
    t = parse_trace_code("81234560000000000012")
    assert type(t) is TraceCode
    assert t == TraceCode(*dataclasses.astuple(t)) and hash(t) == hash(TraceCode(*dataclasses.astuple(t)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.code = "x"  # type: ignore[misc]
    assert SCHEMES == ("nmpa20", "gs1", "other", "invalid", "none")


def test_gtin_check_digit_known_values():
    assert tc.gtin_check_digit("400638133393") == "1"  # EAN-13 4006381333931
    assert tc.gtin_check_digit("0690123456789") == check_digit("0690123456789") == "2"


# ---------------------------------------------------------------- the SQL fast path


@relaxed
@given(st.from_regex(NMPA20_FAST_PATTERN, fullmatch=True))
def test_fast_pattern_agrees_with_parser(raw):
    assert re.fullmatch(r"8\d{19}", raw, re.ASCII)
    t = parse_trace_code(raw)
    assert t == TraceCode(raw, raw, "nmpa20", "", raw[:7], raw[7:], "", "")


@relaxed
@given(st.text())
def test_parser_nmpa20_identity_implies_fast_pattern(raw):
    t = parse_trace_code(raw)
    if t.scheme == "nmpa20" and t.code == raw:
        assert re.fullmatch(NMPA20_FAST_PATTERN, raw)


def test_fast_path_skips_the_full_rules(monkeypatch):
    def boom(*_args):
        raise AssertionError("slow path used")

    monkeypatch.setattr(tc, "_parse_text", boom)
    assert parse_trace_code("81234560000000000012").scheme == "nmpa20"
    with pytest.raises(AssertionError):
        parse_trace_code(" 81234560000000000012")


# ---------------------------------------------------------------- GS1 properties

gtins = st.text("0123456789", min_size=13, max_size=13).map(lambda body: body + check_digit(body))
gs1_values = st.text(CSET82.replace("(", "").replace(")", ""), min_size=1, max_size=20).filter(
    lambda v: "<gs>" not in v.lower()
)
expiries = st.tuples(st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)), st.booleans())


def render(elements: list[tuple[str, str]], style: str, gs_text: str = GS) -> str:
    """One element string: bracketed, or raw with a GS after each variable-length element but the last."""
    if style == "bracketed":
        return "".join(f"({ai}){value}" for ai, value in elements)
    parts = []
    for i, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        if ai in ("10", "21") and i < len(elements) - 1:
            parts.append(gs_text)
    return "".join(parts)


@st.composite
def packs(draw):
    gtin, serial = draw(gtins), draw(gs1_values)
    expiry = draw(st.none() | expiries)
    batch = draw(st.none() | gs1_values)
    elements = [("01", gtin), ("21", serial)]
    iso = ""
    if expiry is not None:
        day, month_end = expiry
        iso = day.isoformat()
        if month_end and day.day == calendar.monthrange(day.year, day.month)[1]:
            elements.append(("17", day.strftime("%y%m00")))
        else:
            elements.append(("17", day.strftime("%y%m%d")))
    if batch is not None:
        elements.append(("10", batch))
    return gtin, serial, iso, batch or "", elements


@relaxed
@given(packs(), st.data())
def test_renderings_give_one_identity(pack, data):
    gtin, serial, iso, batch, elements = pack
    shuffled = data.draw(st.permutations(elements))
    renderings = [
        render(elements, "bracketed"),
        render(shuffled, "bracketed"),
        render(shuffled, "raw"),
        render(shuffled, "raw", data.draw(st.sampled_from(GS_TEXTS))),
        "]d2" + render(shuffled, "raw"),
        "]Q3" + render(shuffled, "bracketed"),
    ]
    if not batch:  # without GS only when the one variable-length element comes last
        fixed = [e for e in shuffled if e[0] != "21"]
        renderings.append(render([*fixed, ("21", serial)], "raw"))
    expected = ("01" + gtin + "21" + serial, "gs1", "", gtin, serial, iso, batch)
    for raw in renderings:
        assert fields(parse_trace_code(raw)) == expected, raw


@relaxed
@given(packs(), st.integers(0, 13), st.integers(1, 9), st.sampled_from(["bracketed", "raw", "aim"]))
def test_any_single_digit_change_of_gtin_is_invalid(pack, position, delta, style):
    gtin, _serial, _iso, _batch, elements = pack
    bad = gtin[:position] + str((int(gtin[position]) + delta) % 10) + gtin[position + 1 :]
    elements = [(ai, bad if ai == "01" else value) for ai, value in elements]
    raw = render(elements, "bracketed" if style == "bracketed" else "raw")
    t = parse_trace_code("]d2" + raw if style == "aim" else raw)
    assert (t.scheme, t.reason) == ("invalid", tc.R_CHECK)


# ---------------------------------------------------------------- totality and idempotence

code_like = st.text(alphabet="0123456789８８()（）<>GS]dQC2 -_/#" + GS + "\u3000ABC无", max_size=60)


def assert_invariants(raw, t: TraceCode) -> None:
    assert t.scheme in SCHEMES
    assert t.raw == raw
    assert all(isinstance(v, str) for v in dataclasses.astuple(t))
    if t.scheme == "none":
        assert t.code == ""
    elif t.scheme == "invalid":
        assert t.reason and " / " in t.reason
    else:
        assert t.reason == ""
    if t.scheme == "nmpa20":
        assert re.fullmatch(NMPA20_FAST_PATTERN, t.code) and t.product_id + t.serial == t.code
    if t.scheme == "gs1":
        assert t.code == "01" + t.product_id + "21" + t.serial
        assert check_digit(t.product_id[:13]) == t.product_id[13]
    if t.scheme == "other":
        assert re.fullmatch(r"[A-Za-z0-9-]{8,100}", t.code)


@relaxed
@given(st.text() | code_like)
def test_parse_is_total(raw):
    assert_invariants(raw, parse_trace_code(raw))


@relaxed
@given(st.text() | code_like | packs().map(lambda p: render(p[4], "raw")))
def test_idempotent_on_valid_codes(raw):
    t = parse_trace_code(raw)
    if t.scheme in ("nmpa20", "gs1", "other"):
        again = parse_trace_code(t.code)
        assert (again.code, again.scheme) == (t.code, t.scheme)


@relaxed
@given(packs())
def test_idempotent_on_gs1(pack):
    t = parse_trace_code(render(pack[4], "bracketed"))
    assert fields(parse_trace_code(t.code))[:5] == fields(t)[:5]


# ---------------------------------------------------------------- cells with several codes


@pytest.mark.parametrize(
    ("cell", "pieces"),
    [
        (None, []),
        ("", []),
        (" ,; ", []),
        ("81234560000000000012", ["81234560000000000012"]),
        ("81234560000000000012,81234560000000000013", ["81234560000000000012", "81234560000000000013"]),
        (
            "A1234567；B1234567、C1234567，D1234567|E1234567",
            ["A1234567", "B1234567", "C1234567", "D1234567", "E1234567"],
        ),
        (
            "A1234567\nB1234567\tC1234567  D1234567\u3000E1234567",
            ["A1234567", "B1234567", "C1234567", "D1234567", "E1234567"],
        ),
        ("8123 4560 0000 0000 0012", ["8123 4560 0000 0000 0012"]),
        (
            "8123 4560 0000 0000 0012 8123 4560 0000 0000 0013",
            ["8123 4560 0000 0000 0012", "8123 4560 0000 0000 0013"],
        ),
        ("8123 4560  0000 0000 0012", ["8123", "4560", "0000", "0000", "0012"]),
        ("1234 5678", ["1234", "5678"]),
        ("81234560000000000012\u300081234560000000000013", ["81234560000000000012", "81234560000000000013"]),
        ("81234560000000000012｜81234560000000000013", ["81234560000000000012", "81234560000000000013"]),
        (
            "0106901234567892" + "10B1" + GS + "21X 81234560000000000012",
            ["0106901234567892" + "10B1" + GS + "21X", "81234560000000000012"],
        ),
        (
            "(01)06901234567892 (21)A1 (01)06901234567892 (21)A2",
            ["(01)06901234567892 (21)A1", "(01)06901234567892 (21)A2"],
        ),
    ],
)
def test_split_examples(cell, pieces):
    assert split_code_cell(cell) == pieces


def test_split_then_parse_grouped_code():
    [piece] = split_code_cell(fullwidth("8123 4560 0000 0000 0012"))
    assert parse_trace_code(piece).code == "81234560000000000012"


alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
nmpa20s = st.from_regex(NMPA20_FAST_PATTERN, fullmatch=True)
cell_codes = st.one_of(
    nmpa20s,
    nmpa20s.map(lambda c: " ".join(c[i : i + 4] for i in range(0, 20, 4))),
    nmpa20s.map(lambda c: c[:7] + " " + c[7:]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{7,30}", fullmatch=True),
    st.tuples(gtins, st.text(alnum, min_size=1, max_size=20)).map(lambda g: f"(01){g[0]} (21){g[1]}"),
    st.tuples(gtins, st.text(alnum, min_size=1, max_size=20)).map(lambda g: f"(01){g[0]}(21){g[1]}"),
    st.tuples(gtins, st.text(alnum, min_size=1, max_size=20)).map(lambda g: f"10B1{GS}01{g[0]}21{g[1]}"),
)
separators = st.sampled_from(
    [",", ";", "|", "，", "；", "｜", "、", "\n", "\r\n", "\t", " ", "  ", " , ", "\u3000", "\u00a0", "\u2028"]
)


@relaxed
@given(st.lists(cell_codes, max_size=8), st.data())
def test_split_round_trips_joined_lists(codes, data):
    cell = ""
    for i, code in enumerate(codes):
        cell += (data.draw(separators) if i else "") + code
    assert split_code_cell(cell) == codes


SEPARATING = re.compile(r"[,;|，；｜、\u200b]|(?![\x1c-\x1f])\s")


@relaxed
@given(st.text() | code_like)
def test_split_loses_only_separators(cell):
    pieces = split_code_cell(cell)
    assert all(p and p in cell for p in pieces)
    assert "".join(pieces).count(GS) == cell.count(GS)
    drop = "".join(c for c in set(cell) if SEPARATING.match(c))
    assert "".join(pieces).translate(str.maketrans("", "", drop)) == cell.translate(
        str.maketrans("", "", drop)
    )


# ---------------------------------------------------------------- vectorised form


def test_parse_many_matches_parse():
    raws = ["81234560000000000012", None, "(01)06901234567892(17)261231(10)B123(21)SN001", "1234567", "无"]
    cols = parse_many(raws)
    assert tuple(cols) == ("code", "scheme", "reason", "product_id", "serial", "expiry", "batch")
    assert [tuple(col[i] for col in cols.values()) for i in range(len(raws))] == [
        fields(parse_trace_code(r)) for r in raws
    ]
    assert cols["scheme"] == ["nmpa20", "none", "gs1", "invalid", "none"]


def test_parse_many_accepts_arrow():
    pa = pytest.importorskip("pyarrow")
    cols = parse_many(pa.array(["81234560000000000012", None]))
    assert cols["scheme"] == ["nmpa20", "none"]


def test_parse_many_empty():
    assert parse_many([]) == {name: [] for name in tc.COLUMNS}


@relaxed
@given(st.lists(st.text() | st.none(), max_size=20))
def test_parse_many_is_columnwise_parse(raws):
    cols = parse_many(raws)
    assert all(len(col) == len(raws) for col in cols.values())
    assert cols["scheme"] == [parse_trace_code(r).scheme for r in raws]
