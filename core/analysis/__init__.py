"""Pure functions over the federation graph: what each pane and each CLI verb shows.

Each analysis takes the graph built by ``core.graph.build_graph`` (and an injectable clock where
time matters) and returns typed, JSON-ready results. None of them does I/O or imports textual.
"""
