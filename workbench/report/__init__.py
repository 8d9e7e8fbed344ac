"""The offline HTML report ``tcw demo`` ends with: the top leads of each scenario, each with its subgraph
drawn by pyvis (vis-network) and styled from the graph schema, in one page that loads nothing from
anywhere (see ``docs/report.md``).

``subgraph`` chooses each lead's subgraph, ``pyvis_render`` styles it, ``legend`` draws the schema's
legend, ``offline`` inlines the scripts and checks for outside references, ``html`` assembles the page and
``build`` runs it all from a workspace.
"""
