"""Social indices (Berlin MSS and configurable composites), classes and spatial statistics."""

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
