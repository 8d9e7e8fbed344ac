"""What keeps the report offline: the vis-network script and style inlined from the files the pyvis package
ships (nothing fetched when the report is built or opened), data placed safely inside a script element,
and a check that a page refers to nothing outside itself.

>>> script_json({"code": "</script><script>alert(1)</script>"})
'{"code": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
>>> external_references('<link rel="stylesheet" href="https://cdn.example/b.css"><img src="data:image/png;base64,AA">')
['<link href="https://cdn.example/b.css">']
>>> external_references("<style>body { background: url(//cdn.example/x.png) }</style>")
['url(//cdn.example/x.png)']
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

#: The vis-network build pyvis bundles (``pyvis/templates/lib``), the one its own templates inline.
VIS_LIBRARY = "vis-9.1.2"
#: Attributes through which an element can load something.
URL_ATTRIBUTES = frozenset({"src", "href", "srcset", "poster", "data", "action", "formaction", "background",
                            "xlink:href"})
#: Elements that load what they name whatever the attribute says (a stylesheet, a frame, a plug-in).
LOADING_ELEMENTS = frozenset({"link", "iframe", "frame", "object", "embed", "base", "portal"})
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:)([^'\")]*)\1\s*\)|@import[^;]*", re.IGNORECASE)
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@cache
def vis_assets() -> tuple[str, str]:
    """The vis-network script and stylesheet as text, read from the installed pyvis package."""
    import pyvis

    folder = Path(pyvis.__file__).parent / "templates" / "lib" / VIS_LIBRARY
    script = (folder / "vis-network.min.js").read_text(encoding="utf-8")
    style = (folder / "vis-network.css").read_text(encoding="utf-8")
    if "</script" in script.lower() or "</style" in style.lower():
        raise ValueError(f"{folder}: the bundled vis-network files cannot be inlined as they are")
    return script, style


def script_json(value: object) -> str:
    """JSON that stays data inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` escaped, so
    no text in it can close the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return re.sub("[<>&\u2028\u2029]", lambda match: _SCRIPT_UNSAFE[match.group()], text)


def external_references(page: str) -> list[str]:
    """Everything in ``page`` that would make a browser fetch something (empty for an offline page)."""
    finder = _ReferenceFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def ensure_offline(page: str) -> str:
    """The page itself, if it refers to nothing outside itself; ``ValueError`` naming the first reference."""
    found = external_references(page)
    if found:
        raise ValueError(f"报告引用了外部资源 / the report refers to outside resources: {found[:3]}")
    return page


class _ReferenceFinder(HTMLParser):
    """Collects loading elements, URL attributes that are not ``data:`` or in-page, and CSS ``url()``s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in URL_ATTRIBUTES and (tag in LOADING_ELEMENTS or not _in_page(value or "")):
                self.found.append(f'<{tag} {name}="{value}">')
            elif name == "style":
                self._css(value or "")
        if tag in LOADING_ELEMENTS and not any(name in URL_ATTRIBUTES for name, _ in attrs):
            self.found.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        self.found.extend(match.group() for match in _CSS_URL.finditer(text))


def _in_page(url: str) -> bool:
    """A data URI or a link within the page.

    >>> [_in_page(u) for u in ("#lead-1", "data:image/png;base64,AA", "https://x", "x.js", "")]
    [True, True, False, False, True]
    """
    url = url.strip().lower()
    return url == "" or url.startswith(("#", "data:"))
