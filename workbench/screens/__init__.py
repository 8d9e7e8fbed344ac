"""Screens: the fraud scenarios as declarative rules (``rules.yaml``) run over canonical events by an
engine adapter (DuckDB embedded), producing leads (contract §3)."""
