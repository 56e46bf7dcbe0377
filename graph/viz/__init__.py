"""The visual explorer: the projection as an interactive pyvis (vis-network) page.

:func:`explorer_data` gathers what the page draws; :func:`explorer_page` renders it (served at
``/viz``, written by ``recruitgraph viz --out``); :class:`Explorer` shows it in a notebook.
"""

from graph.viz.network import NODE_BUDGET, build_network, explorer_data, kind_styles
from graph.viz.page import ASSETS, Explorer, explorer_page, write_page

__all__ = [
    "ASSETS",
    "NODE_BUDGET",
    "Explorer",
    "build_network",
    "explorer_data",
    "explorer_page",
    "kind_styles",
    "write_page",
]
