"""SQL of the normalisation pass. Names in it come from ``fields.yaml`` (checked to be plain
identifiers or codes); values from files only ever arrive as bound parameters or table rows."""

from __future__ import annotations

import re

import pyarrow as pa

from loaders.raw import RAW_TEXT_COLUMNS
from loaders.vocabulary import Vocabulary, vocabulary

_PLAIN = re.compile(r"[A-Za-z0-9_]+")

NORMALIZE_SQL = """
WITH raw_batch AS ({source}),
base AS (
  SELECT *,
    CASE WHEN regexp_full_match(trim(infno), '350[1-7][A-Za-z]?') THEN left(trim(infno), 4) END AS family,
    nullif(upper(trim(fixmedins_code)), '') AS inst,
    nullif(trim(fixmedins_bchno), '') AS bchno
  FROM raw_batch),
picked AS (
  SELECT *,
    coalesce(nullif(trim({time_text}), ''), nullif(trim(any_time), '')) AS time_text,
    coalesce(nullif(trim({qty_text}), ''), nullif(trim(any_cnt), '')) AS qty_text,
    nullif(trim({price_text}), '') AS price_text,
    {time_field} AS time_field, {qty_field} AS qty_field, {price_field} AS price_field
  FROM base),
parsed AS (
  SELECT *, try_strptime(time_text, $time_formats) AS event_time,
    try_cast(replace(qty_text, ',', '') AS DOUBLE) AS record_quantity,
    try_cast(replace(price_text, ',', '') AS DOUBLE) AS unit_price,
    try_strptime(nullif(trim(inf_time), ''), $time_formats) AS upload_time
  FROM picked),
bounded AS (
  SELECT *, least(coalesce(upload_time, $run_day), $run_day) + to_days($days_after_upload) AS latest_time
  FROM parsed),
judged AS (
  SELECT *,
    CASE
      WHEN _error IS NOT NULL THEN coalesce(_error_field, '(record)')
      WHEN family IS NULL THEN 'infno'
      WHEN inst IS NULL THEN 'fixmedins_code'
      WHEN family = '3507' AND bchno IS NULL THEN 'fixmedins_bchno'
      WHEN family = '3507' AND coalesce(trim(inv_data_type), '') NOT IN ('1', '2', '3', '4') THEN 'inv_data_type'
      WHEN family = '3507' THEN NULL
      WHEN nullif(trim(med_list_codg), '') IS NULL THEN 'med_list_codg'
      WHEN event_time IS NULL OR event_time < $earliest OR event_time > latest_time THEN time_field
      WHEN record_quantity IS NULL OR NOT isfinite(record_quantity) THEN qty_field
      WHEN price_text IS NOT NULL AND (unit_price IS NULL OR NOT isfinite(unit_price)) THEN price_field
      WHEN NOT isfinite(record_quantity * coalesce(unit_price, 0)) THEN price_field
      WHEN family = '3502' AND NOT list_contains($change_types, trim(coalesce(inv_chg_type, ''))) THEN 'inv_chg_type'
    END AS bad_field
  FROM bounded),
cells AS (
  SELECT *, CASE WHEN bad_field IS NULL AND family <> '3507' THEN flatten(list_transform(codes, lambda c: CASE
      WHEN NOT regexp_matches(trim(c), $separators) THEN [trim(c)] ELSE tcw_split(c) END)) ELSE [] END AS code_list
  FROM judged),
records AS (
  SELECT code_list, len(code_list) AS record_code_count,
    CASE WHEN bad_field IS NOT NULL THEN 'reject' WHEN family = '3507' THEN 'delete' ELSE 'event' END AS kind,
    family || '|' || inst || '|' || coalesce(bchno, '#' || md5(concat_ws('|', med_list_codg, time_text,
      qty_text, psn_no, setl_id, array_to_string(codes, ',')))) AS source_record,
    {event_type} AS event_type, event_time,
    trim(med_list_codg) AS med_list_codg, fixmedins_hilist_name AS product_name, fixmedins_hilist_id AS hilist_id,
    inst AS institution_code, fixmedins_name AS institution_name,
    {institution_type_expr} AS institution_type, {region_expr} AS region_code, {chain_expr} AS chain_id,
    nullif(trim(psn_no), '') AS psn_no, nullif(trim(certno), '') AS certno, nullif(trim(psn_name), '') AS psn_name,
    nullif(trim(setl_id), '') AS setl_id, nullif(trim(mdtrt_sn), '') AS mdtrt_sn,
    nullif(trim(rtal_docno), '') AS receipt_no,
    coalesce(list_contains($split_true, trim(trdn_flag)), false) AS split_flag,
    record_quantity, unit_price,
    nullif(trim(spler_name), '') AS supplier, nullif(trim(manu_lotnum), '') AS batch_no,
    nullif(trim(inv_chg_type), '') AS change_type, bchno AS record_no,
    nullif(trim(coalesce(medins_prod_sel_no, medins_prod_purc_no)), '') AS ref_record_no,
    nullif(trim(mdtrt_setl_type), '') AS settle_type,
    family, infno AS interface, task_files.source_file, _line AS source_line,
    _rec AS record_index, upload_time, _file AS file_index,
    bad_field AS reject_field,
    CASE
      WHEN bad_field IS NULL THEN NULL
      WHEN _error IS NOT NULL THEN _error
      WHEN bad_field = 'infno' THEN format('接口编号无法识别 / unknown interface "{{}}": expected 3501–3507 (3505A …) or a name such as 商品销售', coalesce(infno, ''))
      WHEN bad_field = 'fixmedins_code' THEN '缺少定点医药机构编码 / missing fixmedins_code: expected an institution code such as P50011600012 in the record or its envelope'
      WHEN bad_field = 'fixmedins_bchno' THEN '删除请求缺少批次流水号 / 3507 delete lacks fixmedins_bchno: expected the row key of the record to delete'
      WHEN bad_field = 'inv_data_type' THEN format('删除数据类型无效 / inv_data_type "{{}}": expected 1 盘存, 2 库存变更, 3 采购 or 4 销售', coalesce(inv_data_type, ''))
      WHEN bad_field = 'med_list_codg' THEN '缺少医保药品编码 / missing med_list_codg: expected the item''s 医保药品编码'
      WHEN bad_field = time_field AND time_text IS NULL THEN format('缺少业务时间 / missing business time {{}}: expected yyyy-MM-dd HH:mm:ss', time_field)
      WHEN bad_field = time_field AND event_time IS NULL THEN format('时间无法解析 / unparseable time "{{}}": expected yyyy-MM-dd HH:mm:ss', time_text)
      WHEN bad_field = time_field THEN format('业务时间不在合理范围 / business time "{{}}" out of range: expected from {{}} to {{}} ({{}} days after the upload)', time_text, strftime($earliest, '%Y-%m-%d'), strftime(latest_time, '%Y-%m-%d %H:%M:%S'), $days_after_upload)
      WHEN bad_field = qty_field AND qty_text IS NULL THEN format('缺少数量 / missing quantity {{}}: expected a number', qty_field)
      WHEN bad_field = qty_field AND record_quantity IS NULL THEN format('数量不是数字 / quantity "{{}}" is not a number', qty_text)
      WHEN bad_field = qty_field THEN format('数量不是有限数 / quantity "{{}}" is not a finite number: expected a number such as 2 or 0.5', qty_text)
      WHEN bad_field = price_field AND price_text IS NOT NULL AND unit_price IS NULL THEN format('单价不是数字 / price "{{}}" is not a number', price_text)
      WHEN bad_field = price_field AND NOT isfinite(unit_price) THEN format('单价不是有限数 / price "{{}}" is not a finite number: expected a number such as 23.5', price_text)
      WHEN bad_field = price_field THEN format('金额超出范围 / quantity "{{}}" × price "{{}}" is not a finite amount: expected a real quantity and price', qty_text, price_text)
      WHEN bad_field = 'inv_chg_type' THEN format('库存变更类型无效 / inv_chg_type "{{}}": expected 101–111', coalesce(inv_chg_type, ''))
    END AS reject_reason,
    CASE WHEN bad_field IS NOT NULL THEN coalesce(_source_text, to_json({{{raw_struct}}})::VARCHAR) END AS source_text,
    CASE WHEN family = '3507' THEN trim(inv_data_type) END AS delete_data_type
  FROM cells LEFT JOIN task_files ON task_files.file_index = cells._file {reference_join}),
exploded AS (
  SELECT * EXCLUDE (code_list),
    unnest(list_transform(CASE WHEN len(code_list) = 0 THEN [NULL::VARCHAR] ELSE code_list END,
                          lambda c, i: {{'c': c, 'i': i}})) AS cp
  FROM records),
classified AS (
  SELECT * EXCLUDE (cp), cp.c AS code_raw, cp.i::INTEGER AS code_position, CASE
      WHEN cp.c IS NULL THEN {{'code': '', 'scheme': 'none', 'reason': '', 'product_id': ''}}
      WHEN regexp_full_match(cp.c, $fast_pattern)
        THEN {{'code': cp.c, 'scheme': 'nmpa20', 'reason': '', 'product_id': left(cp.c, 7)}}
      ELSE tcw_parse(cp.c) END AS tc
  FROM exploded)
SELECT * EXCLUDE (tc, record_code_count),
  source_record || '#' || code_position AS event_id,
  tc.code AS trace_code, tc.scheme AS code_scheme, nullif(tc.reason, '') AS code_issue,
  nullif(tc.product_id, '') AS code_product_id,
  record_quantity / greatest(record_code_count, 1) AS quantity, record_code_count::INTEGER AS record_code_count,
  record_quantity / greatest(record_code_count, 1) * unit_price AS amount
FROM classified
"""


def interface_cases(v: Vocabulary) -> dict[str, str]:
    """SQL CASE expressions that pick each interface's own time, quantity, price and event type."""
    def case(pick, quote: bool) -> str:
        arms = []
        for family, interface in v.interfaces.items():
            value = pick(interface)
            if value:
                arms.append(f"WHEN '{_plain(family)}' THEN {_literal(value) if quote else _plain(value)}")
        return "CASE family " + " ".join(arms) + " END"

    return {
        "raw_struct": _RAW_STRUCT,
        "time_text": case(lambda i: i.time, False),
        "time_field": case(lambda i: i.time, True),
        "qty_text": case(lambda i: i.quantity, False),
        "qty_field": case(lambda i: i.quantity, True),
        "price_text": case(lambda i: i.price, False),
        "price_field": case(lambda i: i.price, True),
        "event_type": _event_type_case(v),
    }


_RAW_STRUCT = ", ".join(f"'{name}': {name}" for name in (*RAW_TEXT_COLUMNS, "codes"))


#: An event ``e`` whose record a 3507 delete ``d`` names (``t`` maps delete data types to families).
DELETED_BY = """d.institution_code = e.institution_code AND d.record_no = e.record_no
  AND t.data_type = d.delete_data_type AND t.family = e.family
  AND (d.upload_time IS NULL OR e.upload_time IS NULL OR e.upload_time <= d.upload_time)"""

_REGION_FROM_CODE = "CASE WHEN regexp_full_match(inst, '[A-Z][0-9]{11}') THEN substr(inst, 2, 6) END"


def reference_parts(with_reference: bool, v: Vocabulary) -> dict[str, str]:
    """Institution type, region and chain: from the institutions reference when there is one, else
    from the institution code (letter H/P, digits 2–7)."""
    from_code = {"institution_type_expr": _letter_case(v), "region_expr": _REGION_FROM_CODE,
                 "chain_expr": "NULL::VARCHAR"}
    if not with_reference:
        return from_code | {"reference_join": ""}
    return {
        "reference_join": "LEFT JOIN read_parquet($institutions) ref ON ref.code = cells.inst",
        "institution_type_expr": f"coalesce(ref.type, {from_code['institution_type_expr']})",
        "region_expr": f"coalesce(ref.region, {from_code['region_expr']})",
        "chain_expr": "ref.chain",
    }


def _event_type_case(v: Vocabulary) -> str:
    changes = " ".join(f"WHEN {_literal(k)} THEN {_literal(e)}" for k, e in v.change_types.items())
    arms = [
        f"WHEN '{_plain(family)}' THEN "
        + (f"CASE trim(inv_chg_type) {changes} ELSE 'other' END" if i.event_type == "by_change_type" else _literal(i.event_type))
        for family, i in v.interfaces.items()
        if i.event_type != "delete"
    ]
    return "CASE family " + " ".join(arms) + " ELSE 'other' END"


def _letter_case(v: Vocabulary) -> str:
    arms = " ".join(f"WHEN {_literal(k)} THEN {_literal(t)}" for k, t in v.institution_letters.items())
    return f"CASE left(inst, 1) {arms} ELSE 'unknown' END"


def _plain(name: str) -> str:
    if not _PLAIN.fullmatch(name):
        raise ValueError(f"fields.yaml: {name!r} is not a plain name")
    return name


def _literal(value: str) -> str:
    return f"'{_plain(value)}'"


def delete_targets() -> pa.Table:
    """(data_type, family): which interface families a 3507 ``inv_data_type`` deletes from."""
    pairs = [(kind, family) for kind, families in vocabulary().delete_targets.items() for family in families]
    return pa.table({"data_type": [p[0] for p in pairs], "family": [p[1] for p in pairs]})
