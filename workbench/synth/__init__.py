"""Synthetic district generator: four fraud scenarios and their look-alikes, with known answers.

``generate(out_dir, seed, scale, fmt)`` writes format A (NHSA interface JSON) and format B (CSV/XLSX with
Chinese headers) uploads of a Jiangjin-like district, reference tables, and ``truth.csv``.
"""
from .run import generate

__all__ = ["generate"]
