"""The institution self-inspection report (自查自纠): ``self_inspection(ws, institution)`` gathers one
institution's leads, collection rate by month and codes to explain; ``write_self_inspection(report, path)``
writes it as XLSX or offline HTML (``tcw selfcheck``)."""

from workbench.selfcheck.inspection import Item, SelfInspection, self_inspection
from workbench.selfcheck.output import SELFCHECK_SUFFIXES, write_self_inspection

__all__ = ["SELFCHECK_SUFFIXES", "Item", "SelfInspection", "self_inspection", "write_self_inspection"]
