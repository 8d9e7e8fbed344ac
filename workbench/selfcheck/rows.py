"""The self-inspection report as rows, the same for the workbook and the page: the summary (what the report
covers and its totals), the leads, the monthly collection rates, the codes to explain.

>>> from datetime import date
>>> from workbench.selfcheck.facts import MonthRate, Profile
>>> from workbench.selfcheck.inspection import SelfInspection
>>> report = SelfInspection(Profile("P1", "某药房", "pharmacy", "500116"), (), (MonthRate(date(2025, 6, 1), 8, 6),))
>>> month_rows(report)
[{'month': '2025-06', 'insured_sales': 8, 'coded_sales': 6, 'uncoded_sales': 2, 'rate': 0.75, 'percent': '75.0%'}]
>>> [row["value"] for row in summary_rows(report)][:3]
['P1', '某药房', '零售药店']
"""

from __future__ import annotations

from workbench.selfcheck.inspection import SelfInspection
from workbench.selfcheck.texts import institution_type, scenario_name

TITLE = "定点医药机构追溯码自查自纠报告"
ROLES = {"main": "主要机构", "involved": "涉及机构"}
#: What the report shows and leaves out, said on its first sheet and at the top of the page.
SCOPE = (
    ("范围", "本报告只含本机构的数据。其他机构仅在解释线索时以机构编码出现：回流药最初发出的医疗机构，"
             "以及此前售出同一追溯码的机构；其后售出的机构和疑似假药涉及的机构只给出数量。"),
    ("个人信息", "不含任何参保人的姓名、身份证号、人员编号或化名；参保人只以人数出现。"),
    ("采集率", "医保结算的销售记录中带有效追溯码的记录所占比例，按月统计；免采集品种（产品目录标注免采集的，"
               "及医保编码以 T 开头的中药饮片）不计。"),
    ("线索", "以默认参数对工作区全部数据筛查所得（与 tcw screen 相同）；线索只是疑点，请逐条核实并书面说明。"),
)
LEAD_COLUMNS = (("scenario_zh", "场景"), ("lead_id", "线索编号"), ("score", "可疑度"), ("role", "本机构角色"),
                ("trace_code", "追溯码"), ("med_list_codg", "医保药品编码"), ("first_time", "开始时间"),
                ("last_time", "结束时间"), ("event_count", "本机构销售（次）"), ("amount", "金额（元）"),
                ("happened", "情况"), ("check", "应核查事项"))
MONTH_COLUMNS = (("month", "月份"), ("insured_sales", "医保销售（条）"), ("coded_sales", "有有效追溯码（条）"),
                 ("uncoded_sales", "缺码（条）"), ("rate", "采集率"), ("percent", "采集率（%）"))
CODE_COLUMNS = (("trace_code", "追溯码"), ("scenario_zh", "场景"), ("lead_id", "线索编号"), ("happened", "情况"),
                ("check", "应核查事项"), ("answer", "机构说明（由本机构填写）"))
SUMMARY_COLUMNS = (("item", "项目"), ("value", "内容"))


def summary_rows(report: SelfInspection) -> list[dict]:
    """The institution, the totals per scenario and the overall rate, then what the report covers."""
    profile, rate = report.profile, report.overall_rate
    rows = [("机构编码", profile.code), ("机构名称", profile.name), ("机构类型", institution_type(profile.type)),
            ("所在地区（行政区划代码）", profile.region), ("报告生成时间", report.created),
            ("线索合计", len(report.leads))]
    rows += [(f"线索：{scenario_name(scenario)}", len(items)) for scenario, items in report.by_scenario.items()]
    rows += [("待说明追溯码", len({item.trace_code for item in report.codes})),
             ("统计月份", len(report.months)), ("总体采集率", _percent(rate) if rate is not None else "无医保销售"),
             *SCOPE]
    return [{"item": item, "value": value} for item, value in rows]


def lead_rows(report: SelfInspection) -> list[dict]:
    """One row per lead, by scenario."""
    return [{**_common(item), "score": round(item.score, 2), "role": ROLES.get(item.role, item.role),
             "med_list_codg": item.med_list_codg, "first_time": item.first_time, "last_time": item.last_time,
             "event_count": item.event_count, "amount": item.amount}
            for items in report.by_scenario.values() for item in items]


def month_rows(report: SelfInspection) -> list[dict]:
    """One row per month with insured sales."""
    return [{"month": f"{month.month:%Y-%m}", "insured_sales": month.insured_sales, "coded_sales": month.coded_sales,
             "uncoded_sales": month.insured_sales - month.coded_sales, "rate": round(month.rate, 4),
             "percent": _percent(month.rate)} for month in report.months]


def code_rows(report: SelfInspection) -> list[dict]:
    """One row per lead with a trace code, with an empty column for the institution's answer."""
    return [{**_common(item), "answer": ""} for items in report.by_scenario.values() for item in items
            if item.trace_code]


def _common(item) -> dict:
    return {"scenario_zh": scenario_name(item.scenario), "lead_id": item.lead_id, "trace_code": item.trace_code,
            "happened": item.happened, "check": item.check}


def _percent(rate: float) -> str:
    return f"{100 * rate:.1f}%"
