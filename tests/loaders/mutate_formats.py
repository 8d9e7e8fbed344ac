"""Mutations that belong to one text format: JSON (duplicate keys, non-object lines, deep nesting,
escapes, number forms) and CSV (duplicate columns, quoting, wrong column counts)."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import replace

from tests.loaders.fuzz_edits import (
    CSV_COLUMNS,
    QUANTITY_FIELDS,
    edit_record,
    field_of,
    insert_line,
    line_key,
    lines_of,
    record_lines,
    replace_line,
    same,
    same_or_reject,
    set_json_codes,
    set_lines,
)
from tests.loaders.fuzz_uploads import Doc, RecordExpect, csv_line

NON_OBJECTS = ["[1,2]", '"文本"', "123", "null", "true", "[]", "{}", '[{"infno": "3505"}]', '""', "-0",
               '{"infno":"3505"}', '{"input": []}']
DEPTHS = [64, 1_000, 5_000, 100_000]


# -- JSON --------------------------------------------------------------------------------------------


def duplicate_key(doc: Doc, rng: random.Random) -> bool:
    """A record key given twice with different values: JSON's last value counts (or the record is
    rejected), never the first."""

    def edit(node, record):
        fields = ["fixmedins_hilist_name", "fixmedins_bchno", "codes", "quantity"]
        field = rng.choice(fields + (["psn_name"] if "psn_name" in node else []))
        if field == "codes":
            codes = tuple(f"8{rng.getrandbits(64) % 10**19:019d}" for _ in record.codes)
            name = "drugtracinfo" if "drugtracinfo" in node else "drug_trac_codg"
            written = dict(node)
            set_json_codes(written, list(codes))
            node[f"@@dup:{name}@@"] = written[name]
            return same_or_reject(record, codes=codes)
        if field == "quantity":
            node[f"@@dup:{field_of(node, QUANTITY_FIELDS)}@@"] = int(record.quantity) + 1
            return same_or_reject(record, quantity=str(int(record.quantity) + 1))
        attribute, value = {"fixmedins_hilist_name": ("product", record.product + "（改）"),
                            "fixmedins_bchno": ("bchno", record.bchno + "X"),
                            "psn_name": ("person", f"{record.person}改")}[field]
        node[f"@@dup:{field}@@"] = value
        return same_or_reject(record, **{attribute: value})

    return edit_record(doc, rng, edit)


def non_object_line(doc: Doc, rng: random.Random) -> bool:
    """A line that is JSON but not an envelope object; it is one reject holding the line as it was."""
    lines = lines_of(doc)
    text = rng.choice(NON_OBJECTS).encode(doc.codec)
    insert_line(doc, lines, rng.randint(1, max(1, len(lines) - 1)), text, (RecordExpect("reject"),))
    return True


def deep_nesting(doc: Doc, rng: random.Random) -> bool:
    """Deeply nested arrays: an extra value of a record, or a whole line."""
    depth = rng.choice(DEPTHS)
    nested = "[" * depth + "]" * depth
    if rng.random() < 0.5:
        lines = lines_of(doc)
        whole = nested if rng.random() < 0.5 else '{"infno":' * depth + "1" + "}" * depth
        insert_line(doc, lines, rng.randint(1, max(1, len(lines) - 1)), whole.encode(doc.codec),
                    (RecordExpect("reject"),))
        return True

    def edit(node, record):
        node["memo"] = f"@@raw:{nested}@@"
        return same_or_reject(record)

    return edit_record(doc, rng, edit, single=True)


def escaped_unicode(doc: Doc, rng: random.Random) -> bool:
    """A line written with ``\\uXXXX`` escapes (surrogate pairs for characters beyond the BMP)."""
    lines = lines_of(doc)
    candidates = record_lines(doc, lines)
    if not candidates:
        return False
    index = rng.choice(candidates)
    expect = doc.expect[line_key(lines[index])]
    envelope = json.loads(line_key(lines[index]).decode(doc.codec).lstrip("\ufeff"))
    content = json.dumps(envelope, ensure_ascii=True).encode(doc.codec)
    replace_line(doc, lines, index, content, expect)
    return True


def number_forms(doc: Doc, rng: random.Random) -> bool:
    """The quantity as a JSON string, a float, with trailing zeros or an exponent."""

    def edit(node, record):
        quantity = int(record.quantity)
        forms = [str(quantity), float(quantity), f"{quantity}.00", f"@@raw:{quantity}e0@@", f"@@raw:{quantity}.000@@"]
        node[field_of(node, QUANTITY_FIELDS)] = rng.choice(forms)
        return same(record)

    return edit_record(doc, rng, edit)


def other_shapes(doc: Doc, rng: random.Random) -> bool:
    """A line in another shape institutions send: ``input`` as a JSON string, the record directly in
    ``input``, or a one-record list under the object node name."""
    lines = lines_of(doc)
    candidates = record_lines(doc, lines, single=True)
    if not candidates:
        return False
    index = rng.choice(candidates)
    expect = doc.expect[line_key(lines[index])]
    envelope = json.loads(line_key(lines[index]).decode(doc.codec).lstrip("\ufeff"))
    name, node = next(iter(envelope["input"].items()))
    if name.endswith("Detail"):
        return False
    shape = rng.choice(["string", "direct", "list"])
    if shape == "string":
        envelope["input"] = json.dumps(envelope["input"], ensure_ascii=False)
    else:
        envelope["input"] = node if shape == "direct" else {name: [node]}
    replace_line(doc, lines, index, json.dumps(envelope, ensure_ascii=False).encode(doc.codec), expect)
    return True


def json_array(doc: Doc, rng: random.Random) -> bool:
    """The envelopes as one JSON array, or pretty-printed one after another (read as one JSON text;
    a record's 'line' is then its envelope's ordinal)."""
    lines = [line for line in lines_of(doc) if line.strip()]
    bom = b"\xef\xbb\xbf" if lines and lines[0].startswith(b"\xef\xbb\xbf") else b""
    lines[0] = lines[0].removeprefix(bom)
    if rng.random() < 0.5:
        doc.data = bom + b"[\n" + b",\n".join(lines) + b"\n]\n"
    else:
        pretty = []
        for line in lines:
            try:
                value = json.loads(line.decode(doc.codec))
                pretty.append(json.dumps(value, ensure_ascii=False, indent=2).encode(doc.codec))
            except (ValueError, RecursionError):  # not JSON (or too deep for json), or in another encoding: kept
                pretty.append(line)
        doc.data = bom + b"\n".join(pretty) + b"\n"
    return True


# -- CSV ---------------------------------------------------------------------------------------------

ALIASES = {"product": ["药品名称", "商品名称", "定点医药机构目录名称"], "person": ["人员姓名", "姓名"],
           "codes": ["追溯码", "药品追溯码"], "institution": ["定点医药机构名称", "机构名称"]}


def duplicate_column(doc: Doc, rng: random.Random) -> bool:
    """A header naming one field twice (the same name or an alias), the second column holding other
    values: the file is refused, or each row read with the last column's value or rejected."""
    column = rng.choice(list(ALIASES))
    lines = lines_of(doc)
    header = doc.header + (doc.delimiter + rng.choice(ALIASES[column])).encode(doc.codec)
    lines[0] = header + (b"\r" if lines[0].endswith(b"\r") else b"")
    doc.header, doc.bad_input_ok = header, True
    for index in range(1, len(lines)):
        content = line_key(lines[index])
        if not content.strip():
            continue
        expect = doc.expect.get(content)
        if expect and all(e.record is not None for e in expect):
            record = expect[0].record
            value, changes = _other_value(column, record, rng)
            kind = expect[0].kind if expect[0].kind in ("reject", "any") else "same_or_reject"
            new = (RecordExpect(kind, replace(record, **changes)),)
        else:
            value, new = "", None
        cell = csv_line([value], doc.delimiter)
        replace_line(doc, lines, index, content + (doc.delimiter + cell).encode(doc.codec), new)
    set_lines(doc, lines)
    return True


def _other_value(column: str, record, rng: random.Random) -> tuple[str, dict]:
    if column == "codes":
        codes = tuple(f"8{rng.getrandbits(64) % 10**19:019d}" for _ in record.codes)
        return ";".join(codes), {"codes": codes}
    if column == "person":
        return "王五", {"person": "王五"}
    if column == "institution":
        name = record.institution[1] + "二部"
        return name, {"institution": (record.institution[0], name)}
    return record.product + "（新）", {"product": record.product + "（新）"}


def quoted_cells(doc: Doc, rng: random.Random) -> bool:
    """Every cell of a row quoted, a quote inside the product name written as two."""
    lines = lines_of(doc)
    candidates = record_lines(doc, lines, single=True)
    if not candidates:
        return False
    index = rng.choice(candidates)
    record = doc.expect[line_key(lines[index])][0].record
    cells = next(csv.reader([line_key(lines[index]).decode(doc.codec)], delimiter=doc.delimiter))
    product = record.product[:3] + '"' + record.product[3:] if rng.random() < 0.5 else record.product
    cells[CSV_COLUMNS["product"]] = product
    content = doc.delimiter.join('"' + cell.replace('"', '""') + '"' for cell in cells)
    replace_line(doc, lines, index, content.encode(doc.codec), (same(record, product=product),))
    return True


def wrong_columns(doc: Doc, rng: random.Random) -> bool:
    """A row with a cell too few or too many: a reject."""

    def edit(cells, record):
        if rng.random() < 0.5:
            cells.pop()
        else:
            cells.append("多余")
        return RecordExpect("reject", record)

    return edit_record(doc, rng, edit)


JSON_MUTATIONS = {f.__name__: f for f in (
    duplicate_key, non_object_line, deep_nesting, escaped_unicode, number_forms, other_shapes, json_array,
)}  # fmt: skip
CSV_MUTATIONS = {f.__name__: f for f in (duplicate_column, quoted_cells, wrong_columns)}
