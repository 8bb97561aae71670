"""The analysis domains: ``index`` (social indices: Berlin MSS and configurable composites, robustness,
change), ``spatial`` (Moran's I, LISA, Gi*, typologies) and ``priority`` (rules, named sets of priority
areas); their queries read through :class:`bettercities.publication.viewer.Viewer`. Exported here: the
index library's entry points."""

from bettercities.analysis.index.config import load_config, parse_config, preset_names
from bettercities.analysis.index.methods import IndexMethod, get_method, method_names, register_method
from bettercities.analysis.index.service import compute_index, compute_index_file, result_table, write_csv

__all__ = [
    "IndexMethod",
    "compute_index",
    "compute_index_file",
    "get_method",
    "load_config",
    "method_names",
    "parse_config",
    "preset_names",
    "register_method",
    "result_table",
    "write_csv",
]
