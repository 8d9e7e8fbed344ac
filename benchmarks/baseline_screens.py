"""The plain way to screen: pandas, the same six rules with their default parameters, written as a
data analyst would (load the columns, filter, merge, group). Prints the number of leads per rule.

    python benchmarks/baseline_screens.py <workspace>
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["trace_code", "institution_code", "institution_type", "region_code", "med_list_codg", "event_type",
           "event_time", "split_flag", "quantity", "amount", "psn_no", "code_scheme", "code_product_id",
           "receipt_no", "setl_id", "record_no", "settle_type", "source_record"]
CODED = ("nmpa20", "gs1")
DAY = pd.Timedelta(days=1)


def load(workspace: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    events = pd.concat([pd.read_parquet(f, columns=COLUMNS) for f in sorted((workspace / "events").glob("*.parquet"))],
                       ignore_index=True)
    products_path = workspace / "reference" / "products.parquet"
    products = pd.read_parquet(products_path) if products_path.exists() else pd.DataFrame(columns=["med_list_codg"])
    products["units_per_pack"] = pd.to_numeric(products.get("units_per_pack"), errors="coerce")
    products["exempt"] = products.get("exempt", pd.Series(dtype=str)).astype(str).str.strip().isin(["1", "true", "是"])
    return events, products


def substitution(e: pd.DataFrame, products: pd.DataFrame, min_sales: int = 3) -> pd.DataFrame:
    s = e[e.code_scheme.isin(CODED) & e.event_type.isin(["sale", "sale_return"])].copy()
    s["receipt"] = s.receipt_no.fillna(s.setl_id).fillna(s.record_no)
    keys = ["trace_code", "institution_code", "event_type", "event_time", "receipt", "split_flag"]
    s = s.groupby(keys, as_index=False).agg(med_list_codg=("med_list_codg", "max"), quantity=("quantity", "max"))
    s = s.merge(products[["med_list_codg", "units_per_pack"]], on="med_list_codg", how="left")
    s["direction"] = np.where((s.event_type == "sale_return") | (s.quantity < 0), -1, 1)
    s["whole"] = np.where(~s.split_flag, s.direction, 0)
    sized = s.split_flag & (s.units_per_pack > 0)
    s["fraction"] = np.where(sized, s.direction * s.quantity.abs() / s.units_per_pack, 0.0)
    s["unsized"] = (s.split_flag & ~sized & (s.direction > 0)).astype(int)
    g = s.groupby(["trace_code", "institution_code"]).agg(whole=("whole", "sum"), fraction=("fraction", "sum"),
                                                          unsized=("unsized", "max"))
    g["net"] = g.whole + g.fraction + g.unsized
    return g[g.net >= min_sales].reset_index()


def counterfeit(e: pd.DataFrame, window_days: int = 7, min_institutions: int = 2, min_regions: int = 2) -> pd.DataFrame:
    s = e[e.code_scheme.isin(CODED) & (e.event_type == "sale")][["trace_code", "institution_code", "region_code",
                                                                  "event_time"]].copy()
    s["region_code"] = s.region_code.fillna("")
    spread = s.groupby("trace_code").agg(i=("institution_code", "nunique"), r=("region_code", "nunique"))
    s = s[s.trace_code.isin(spread[(spread.i >= min_institutions) & (spread.r >= min_regions)].index)]
    pairs = s.merge(s, on="trace_code", suffixes=("", "_b"))
    pairs = pairs[(pairs.event_time_b >= pairs.event_time) & (pairs.event_time_b - pairs.event_time <= window_days * DAY)]
    w = pairs.groupby(["trace_code", "event_time"]).agg(i=("institution_code_b", "nunique"), r=("region_code_b", "nunique"))
    w = w[(w.i >= min_institutions) & (w.r >= min_regions)].reset_index()
    return w.groupby("trace_code", as_index=False).event_time.min()


def reflux(e: pd.DataFrame, min_span_days: int = 7, max_span_days: int = 365) -> pd.DataFrame:
    coded = e[e.code_scheme.isin(CODED)]
    sales = coded[coded.event_type == "sale"][["trace_code", "institution_code", "institution_type", "event_time"]]
    dispensed = sales[sales.institution_type.isin(["hospital", "clinic"])]
    p = dispensed.merge(sales, on="trace_code", suffixes=("_d", "_r"))
    span = p.event_time_r - p.event_time_d
    p = p[(p.institution_code_r != p.institution_code_d) & (span > min_span_days * DAY) & (span <= max_span_days * DAY)]
    blockers = coded[coded.event_type.isin(["sale_return", "transfer_in"])][["trace_code", "institution_code",
                                                                           "event_type", "event_time"]]
    x = p.reset_index().merge(blockers, on="trace_code")
    between = (x.event_time > x.event_time_d) & (x.event_time < x.event_time_r)
    blocked = between & (((x.event_type == "sale_return") & (x.institution_code == x.institution_code_d))
                         | ((x.event_type == "transfer_in") & (x.institution_code == x.institution_code_r)))
    p = p[~p.index.isin(x.loc[blocked, "index"])]
    return p.sort_values(["event_time_r"]).drop_duplicates(["trace_code", "institution_code_r"])


def phantom_sale(e: pd.DataFrame, products: pd.DataFrame, tolerance_boxes: int = 5,
                 tolerance_share: float = 0.2) -> pd.DataFrame:
    m = e.merge(products[["med_list_codg", "units_per_pack"]], on="med_list_codg", how="left")
    key = ["institution_code", "med_list_codg"]
    inventory = m[m.event_type == "inventory"]
    first = inventory.groupby(key).event_time.transform("min")
    opening = inventory[inventory.event_time == first].groupby(key).quantity.sum()
    sign = m.event_type.map({"purchase": 1, "transfer_in": 1, "stock_in": 1, "purchase_return": -1,
                             "transfer_out": -1, "stock_out": -1, "loss": -1}).fillna(0)
    supplied = (m.quantity * sign).groupby([m.institution_code, m.med_list_codg]).sum()
    sale, split = m.event_type == "sale", m.split_flag
    returned = m[(m.event_type == "sale_return") & ~split].groupby(key).quantity.sum()
    whole = m[sale & ~split].groupby(key).quantity.sum()
    sized = m[sale & split & (m.units_per_pack > 0)]
    fraction = (sized.quantity / sized.units_per_pack).groupby([sized.institution_code, sized.med_list_codg]).sum()
    unsized = m[sale & split & ~(m.units_per_pack > 0) & (m.trace_code != "")].groupby(key).trace_code.nunique()
    b = pd.concat({"opening": opening, "supplied": supplied, "returned": returned, "whole": whole,
                   "fraction": fraction, "unsized": unsized}, axis=1).fillna(0)
    reporting = set(e.loc[e.event_type.isin(["purchase", "inventory"]), "institution_code"])
    b = b[b.index.get_level_values(0).isin(reporting)]
    supply = b.opening + b.supplied + b.returned
    excess = b.whole + b.fraction + b.unsized - supply
    return b[(excess > tolerance_boxes) & (excess > tolerance_share * supply.clip(lower=0))]


def _records(e: pd.DataFrame) -> pd.DataFrame:
    s = e[e.event_type == "sale"].assign(coded=e.code_scheme.isin(CODED + ("other",)).astype(int))
    return s.groupby(["institution_code", "source_record"], as_index=False).agg(
        event_time=("event_time", "min"), coded=("coded", "max"), med_list_codg=("med_list_codg", "max"),
        settle_type=("settle_type", "max"))


def missing_codes(e: pd.DataFrame, products: pd.DataFrame, max_missing_share: float = 0.3, min_sales: int = 20,
                  exempt_prefix: str = "T") -> pd.DataFrame:
    exempt = set(products.loc[products.exempt, "med_list_codg"])
    insured = e[(e.settle_type.fillna("1") == "1") & ~e.med_list_codg.isin(exempt)
                & ~e.med_list_codg.fillna("").str.startswith(exempt_prefix)]
    r = _records(insured)
    g = r.groupby("institution_code").agg(n=("coded", "size"), coded=("coded", "sum"))
    return g[(g.n >= min_sales) & (g.n - g.coded > max_missing_share * g.n)]


def code_drop(e: pd.DataFrame, drop_ratio: float = 0.3, min_month_sales: int = 5, min_prior_sales: int = 10,
              min_prior_share: float = 0.5) -> pd.DataFrame:
    r = _records(e)
    r["month"] = r.event_time.dt.to_period("M")
    m = r.groupby(["institution_code", "month"]).agg(sales=("coded", "size"), coded=("coded", "sum")).reset_index()
    grouped = m.groupby("institution_code")
    m["prior_coded"] = grouped.coded.cumsum() - m.coded
    m["prior_sales"] = grouped.sales.cumsum() - m.sales
    hit = m[(m.sales >= min_month_sales) & (m.prior_sales >= min_prior_sales)
            & (m.prior_coded >= min_prior_share * m.prior_sales)
            & (m.coded < drop_ratio * m.sales * m.prior_coded / m.prior_sales.where(m.prior_sales > 0))]
    return hit.drop_duplicates("institution_code")


def main() -> None:
    events, products = load(Path(sys.argv[1]))
    found = {"substitution": substitution(events, products), "counterfeit": counterfeit(events),
             "reflux": reflux(events), "phantom_sale": phantom_sale(events, products),
             "missing_codes": missing_codes(events, products), "code_drop": code_drop(events)}
    for rule, leads in found.items():
        print(f"{rule} {len(leads)}")


if __name__ == "__main__":
    main()
