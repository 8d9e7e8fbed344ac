"""The self-inspection report as one offline HTML page: no script, styles inline, every text escaped, and a
Content-Security-Policy that forbids loading anything; ``ensure_offline`` checks it before it is written.

>>> from workbench.selfcheck.facts import Profile
>>> from workbench.selfcheck.inspection import SelfInspection
>>> page = render_page(SelfInspection(Profile("P1", "<b>药房</b>", "pharmacy", "500116"), (), ()))
>>> "&lt;b&gt;药房&lt;/b&gt;" in page and "<b>药房" not in page
True
"""

from __future__ import annotations

from html import escape

from workbench.report.html import CSP
from workbench.report.offline import ensure_offline
from workbench.report.pyvis_render import FONT_FAMILY
from workbench.selfcheck.inspection import SelfInspection
from workbench.selfcheck.rows import (
    CODE_COLUMNS,
    MONTH_COLUMNS,
    SUMMARY_COLUMNS,
    TITLE,
    code_rows,
    lead_rows,
    month_rows,
    summary_rows,
)
from workbench.selfcheck.texts import scenario_name
from workbench.widgets.ui import html_table

STYLE = f"""
body {{ font-family: {FONT_FAMILY}; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; color: #222; }}
h1 {{ font-size: 1.6rem; }} h2 {{ border-bottom: 2px solid #ddd; padding-bottom: .3rem; margin-top: 2rem; }}
h3 {{ font-size: 1.05rem; }} p.meta {{ color: #555; font-size: .92rem; }}
.tcw-table {{ border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }}
.tcw-table th, .tcw-table td {{ border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }}
.tcw-table th {{ background: #f4f4f4; }}
section.leads .tcw-table td:nth-child(-n+5), section.leads .tcw-table th {{ white-space: nowrap; }}
section .tcw-table td:last-child {{ min-width: 22em; }}
"""
#: The page's lead tables leave out what the headings already say.
PAGE_LEAD_COLUMNS = (("lead_id", "线索编号"), ("score", "可疑度"), ("role", "本机构角色"), ("trace_code", "追溯码"),
                     ("span", "时间"), ("event_count", "本机构销售（次）"), ("amount", "金额（元）"), ("happened", "情况"))


PAGE_MONTH_COLUMNS = tuple(column for column in MONTH_COLUMNS if column[0] != "rate")


def render_page(report: SelfInspection) -> str:
    """The page, checked to refer to nothing outside itself."""
    profile = report.profile
    heading = f"{TITLE} · {profile.name or profile.code}（{profile.code}）"
    body = [f"<header><h1>{escape(heading)}</h1><p class=\"meta\">生成时间 {escape(str(report.created))}</p></header>",
            _section("概要", html_table(summary_rows(report), SUMMARY_COLUMNS)),
            _section("线索", _leads(report), "leads"),
            _section("采集率（按月）", html_table(month_rows(report), PAGE_MONTH_COLUMNS) if report.months
                     else "<p>本机构没有医保结算的销售记录。</p>"),
            _section("待说明追溯码", html_table(code_rows(report), CODE_COLUMNS[:-1]) if report.codes
                     else "<p>没有需要说明的追溯码。</p>")]
    page = ('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(heading)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
    return ensure_offline(page)


def _section(title: str, content: str, kind: str = "") -> str:
    return f'<section class="{kind}"><h2>{escape(title)}</h2>{content}</section>'


def _leads(report: SelfInspection) -> str:
    if not report.leads:
        return "<p>筛查未发现涉及本机构的线索。</p>"
    rows = [{**row, "span": _span(row)} for row in lead_rows(report)]
    parts = []
    for scenario, items in report.by_scenario.items():
        mine = [row for row in rows if row["scenario_zh"] == scenario_name(scenario)]
        parts.append(f"<h3>{escape(scenario_name(scenario))}（{len(items)} 条）</h3>"
                     f"<p>应核查：{escape(_checks(items))}</p>{html_table(mine, PAGE_LEAD_COLUMNS)}")
    return "".join(parts)


def _span(row: dict) -> str:
    """A lead's dates, one when it is a day.

    >>> from datetime import datetime
    >>> _span({"first_time": datetime(2025, 7, 14, 9), "last_time": datetime(2025, 7, 14, 12)})
    '2025-07-14'
    """
    first, last = (f"{row[k]:%Y-%m-%d}" if row.get(k) else "" for k in ("first_time", "last_time"))
    return first if first == last else f"{first} – {last}"


def _checks(items) -> str:
    """The distinct checks of a scenario's leads (one per role)."""
    return " ".join(dict.fromkeys(item.check for item in items))
