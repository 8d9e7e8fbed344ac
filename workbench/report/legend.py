"""The report's legend, generated from the schema: each label's shape in its colour with its Chinese and
English caption, and each relationship's caption.

>>> 'fill="#d62728"' in label_legend() and "机构 institution" in label_legend()
True
"""

from __future__ import annotations

from html import escape

from workbench.graph.schema import schema

#: SVG drawings (in a 20×20 box) of the vis.js shapes the schema may name.
SHAPES = {
    "dot": '<circle cx="10" cy="10" r="7"/>',
    "ellipse": '<ellipse cx="10" cy="10" rx="9" ry="6"/>',
    "square": '<rect x="3" y="3" width="14" height="14"/>',
    "box": '<rect x="1" y="5" width="18" height="10" rx="2"/>',
    "diamond": '<polygon points="10,1 19,10 10,19 1,10"/>',
    "triangle": '<polygon points="10,2 18,17 2,17"/>',
    "triangleDown": '<polygon points="2,3 18,3 10,18"/>',
    "hexagon": '<polygon points="10,1 18,5.5 18,14.5 10,19 2,14.5 2,5.5"/>',
    "star": '<polygon points="10,1 12.4,7.2 19,7.6 13.9,11.8 15.6,18.3 10,14.6 4.4,18.3 6.1,11.8 1,7.6 7.6,7.2"/>',
}


def shape_svg(shape: str, colour: str) -> str:
    """An inline SVG of ``shape`` filled with ``colour`` (both from the schema, which checks them)."""
    drawing = SHAPES.get(shape, SHAPES["dot"])
    return (f'<svg class="shape" width="20" height="20" viewBox="0 0 20 20" aria-hidden="true">'
            f'<g fill="{escape(colour)}" stroke="#444" stroke-width="0.8">{drawing}</g></svg>')


def label_legend() -> str:
    """One item per node label: shape, caption (zh, en) and what it is keyed by."""
    items = [f'<li>{shape_svg(label.shape, label.colour)}<span>{escape(label.caption_zh)} '
             f'{escape(label.caption_en)}</span></li>' for label in schema().labels]
    return f'<ul class="legend labels">{"".join(items)}</ul>'


def relationship_legend() -> str:
    """One item per relationship type: its name and caption (zh, en)."""
    items = [f"<li><code>{escape(r.type)}</code> {escape(r.caption_zh)} {escape(r.caption_en)}</li>"
             for r in schema().relationships]
    return f'<ul class="legend relationships">{"".join(items)}</ul>'
