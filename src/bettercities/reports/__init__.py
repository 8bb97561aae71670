"""Reports: the typed views behind pages and exports, and their drawings (maps and charts as SVG).

* :mod:`~bettercities.reports.service` assembles views of cities, areas and indicators from the library;
* :mod:`~bettercities.reports.schemas` holds those typed results;
* :mod:`~bettercities.reports.classes` chooses class breaks and colour ramps;
* :mod:`~bettercities.reports.shapes` turns geometries into cached SVG paths;
* :mod:`~bettercities.reports.svg` draws maps, legends and charts;
* :mod:`~bettercities.reports.cache` memoises computed values per data version.
"""
