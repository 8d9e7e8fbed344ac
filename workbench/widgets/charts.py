"""Small charts for notebooks without a plotting library: horizontal bars as inline SVG (offline, Chinese
labels in the page's own font), every text escaped.

>>> svg = bar_svg([("回流团伙 <ring>", 12), ("假药网络", 3)], title="社区 / communities")
>>> svg.startswith("<svg") and "&lt;ring&gt;" in svg and "<ring>" not in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR, GAP, LABEL_WIDTH, WIDTH = 18, 6, 220, 640


def bar_svg(items: Sequence[tuple[str, float]], title: str = "", colour: str = "#d62728") -> str:
    """Horizontal bars, one per ``(label, value)``, longest = full width; the value written after each."""
    top = 24 if title else 4
    height = top + len(items) * (BAR + GAP) + 4
    largest = max((value for _, value in items), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             'style="font: 12px sans-serif">']
    if title:
        parts.append(f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>')
    for row, (label, value) in enumerate(items):
        y = top + row * (BAR + GAP)
        length = (WIDTH - LABEL_WIDTH - 60) * value / largest
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(str(label))}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" fill="{colour}"/>'
                     f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 13}">{value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: Sequence[tuple[str, float]], title: str = "", colour: str = "#d62728"):
    """``bar_svg`` as a displayable ipywidgets.HTML."""
    import ipywidgets

    return ipywidgets.HTML(bar_svg(items, title, colour))
