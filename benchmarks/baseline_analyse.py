"""The plain baseline of ``tcw analyse``: the reflux rings the obvious way, in pandas and networkx.

Reads the columns it needs from every event file into pandas, keeps the coded sales and transfers of
codes sold twice or more, pairs each dispensing at a hospital or clinic with the code's first later
appearance elsewhere (7–365 days; no check for returns), and runs networkx's Louvain on the person →
reseller edges. Prints the routes and communities found. Not the workbench's method (no onward hops,
no brokers, no clusters): the cost of the straightforward reduction, for the benchmark's ratio.

    python benchmarks/baseline_analyse.py WORKSPACE
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pyarrow.parquet as pq

COLUMNS = ["trace_code", "code_scheme", "event_type", "event_time", "institution_code", "institution_type", "psn_no"]


def main(workspace: Path) -> None:
    frames = [pq.read_table(path, columns=COLUMNS).to_pandas() for path in sorted((workspace / "events").glob("*.parquet"))]
    events = pd.concat(frames, ignore_index=True)
    events = events[events["code_scheme"].isin(["nmpa20", "gs1"])]
    sales = events[events["event_type"] == "sale"]
    repeated = sales["trace_code"].value_counts()
    repeated = repeated[repeated >= 2].index
    moves = events[events["trace_code"].isin(repeated) & events["event_type"].isin(["sale", "transfer_in", "transfer_out"])]
    dispensed = moves[(moves["event_type"] == "sale") & moves["institution_type"].isin(["hospital", "clinic"])]
    pairs = dispensed.merge(moves, on="trace_code", suffixes=("", "_later"))
    span = (pairs["event_time_later"] - pairs["event_time"]).dt.total_seconds() / 86400
    pairs = pairs[(pairs["institution_code_later"] != pairs["institution_code"]) & (span > 7) & (span <= 365)]
    routes = pairs.sort_values("event_time_later").groupby("trace_code", as_index=False).first()
    graph = nx.Graph()
    for person, reseller in zip(routes["psn_no"].fillna("?"), routes["institution_code_later"], strict=True):
        weight = graph.get_edge_data(person, reseller, {"weight": 0})["weight"] + 1
        graph.add_edge(f"P:{person}", f"I:{reseller}", weight=weight)
    communities = nx.community.louvain_communities(graph, weight="weight", seed=7) if graph.number_of_edges() else []
    print(f"events {len(events)} routes {len(routes)} communities {len(communities)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
