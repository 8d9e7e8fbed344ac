"""Synthetic district generator: the four fraud scenarios and their look-alikes, with known answers.

``generate(out_dir, seed=7, scale="demo", fmt="mixed", progress=None)`` writes a Jiangjin-like district
(region 500116, 2025-04-01 … 2025-09-30, longer at large scales)::

    out_dir/truth.csv                               planted cases (expect_lead=1) and traps (expect_lead=0)
    out_dir/networks.csv                            planted rings, clusters, brokers (expect=1), look-alikes (0)
    out_dir/summary.json                            the returned summary
    out_dir/reference/institutions.csv              code,name,type,level,region,chain
    out_dir/reference/products.csv                  med_list_codg,…,trace_prefixes,exempt
    out_dir/reference/pack_relations.csv            case (大码) → unit (小码) codes used in the data
    out_dir/uploads/json/<fixmedins_code>/<yyyymm>.ndjson   format A (NHSA 3501–3507 envelopes)
    out_dir/uploads/table/<fixmedins_code>_<yyyymm>.csv     format B (UTF-8 BOM or GB18030)
    out_dir/uploads/table/<fixmedins_code>_<yyyymm>.xlsx    format B (a few HIS export Excel)

Cases: substitution 串换, reflux 回流 (one broker ring), phantom_sale 空刷, counterfeit 假药, collection_gap,
and repeat 跨机构重复销售 (REP-01…04: a code sold at three pharmacies of the district within three weeks; at
home, then in another region five to six weeks later; at two pharmacies 10–14 days apart; at four pharmacies,
one away, over about two months — each clear of the other rules). Traps: split_sale, return_resale,
chain_transfer, double_upload, settlement_reversal, case_unit, delete_3507, exempt_item, and the repeat
look-alikes return_transfer (sold, returned, moved to a sister store by 3502 102/101, sold there) and
return_resale_elsewhere (sold, returned, sold at another pharmacy). Background boxes are sold once: every
code sold at two institutions is a planted case or trap. The same seed plants the same cases at every scale
and in every format.

Networks (planted last; docs/synthetic.md): reflux rings RING-01…03 (small, medium, large: a collector, its
hospitals and reselling pharmacies; in the large ring a dominant hospital, boxes moved on by 3502 transfers
and boxes sold at a second pharmacy), counterfeit clusters CLU-01/02 (copied codes sold in several regions
within a week), and look-alikes that are no network (HEAVY-01/02 honest heavy buyers, CHAINNET-01 a chain's
transfer network, the single cases REF-02…04 and CFT-01…04); REF-01 is listed as a ring too.

Modules: world (institutions, products, lots), people, codes, records (interface fields), background and
sales (normal flow), transfers, plan, cases, traps, repeats, networks (with networks_rings,
networks_lookalike), writer_json, writer_table, engine (month loop, workers), truth, networks_truth,
reference, run (``generate``).
"""
from .run import generate

__all__ = ["generate"]
