"""Business-time arithmetic for the generator: integer seconds since 2025-01-01 00:00:00 (local time).

Times are plain ints so that sorting and offsets are cheap; strings are made from precomputed tables.

>>> t = to_t("2025-06-01 10:30:12")
>>> fmt(t)
'2025-06-01 10:30:12'
>>> fmt_date(t), fmt_compact(t), month_key(t)
('2025-06-01', '20250601103012', '202506')
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

EPOCH = datetime(2025, 1, 1)
DAY = 86_400
HOUR = 3_600
MINUTE = 60
_N_DAYS = 3 * 366

_DATES = [(EPOCH + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(_N_DAYS)]
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]


def to_t(text: str) -> int:
    """Seconds since the epoch for ``yyyy-MM-dd[ HH:mm:ss]``."""
    fmt_ = "%Y-%m-%d %H:%M:%S" if len(text) > 10 else "%Y-%m-%d"
    return int((datetime.strptime(text, fmt_) - EPOCH).total_seconds())


def day_of(d: date) -> int:
    """Day index of a calendar date."""
    return (d - EPOCH.date()).days


def fmt(t: int) -> str:
    """``yyyy-MM-dd HH:mm:ss``."""
    return _DATES[t // DAY] + " " + _HMS[t % DAY]


def fmt_date(t: int) -> str:
    """``yyyy-MM-dd``."""
    return _DATES[t // DAY]


def ymd(t: int) -> str:
    """``yyyyMMdd``."""
    s = _DATES[t // DAY]
    return s[0:4] + s[5:7] + s[8:10]


def fmt_compact(t: int) -> str:
    """``yyyyMMddHHmmss`` (for msgid)."""
    h = _HMS[t % DAY]
    return ymd(t) + h[0:2] + h[3:5] + h[6:8]


def month_key(t: int) -> str:
    """``yyyyMM`` of the month holding ``t``."""
    s = _DATES[t // DAY]
    return s[0:4] + s[5:7]


def date_of_day(day: int) -> date:
    """Calendar date of a day index."""
    return (EPOCH + timedelta(days=day)).date()


def weekday(day: int) -> int:
    """0 = Monday … 6 = Sunday (2025-01-01 was a Wednesday).

    >>> weekday(0)
    2
    """
    return (day + 2) % 7


def month_starts(first: date, n_months: int) -> list[int]:
    """Day indexes of the first day of ``n_months`` consecutive months, plus the day after the last.

    >>> [fmt_date(d * DAY) for d in month_starts(date(2025, 11, 1), 2)]
    ['2025-11-01', '2025-12-01', '2026-01-01']
    """
    out = []
    y, m = first.year, first.month
    for _ in range(n_months + 1):
        out.append(day_of(date(y, m, 1)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
