"""Reports: the typed views behind pages and exports, and their drawings (maps and charts as SVG).

* :mod:`~bettercities.views.service` assembles views of cities, areas and indicators from the library;
* :mod:`~bettercities.views.schemas` holds those typed results;
* :mod:`~bettercities.figures.classes` chooses class breaks and colour ramps;
* :mod:`~bettercities.figures.shapes` turns geometries into cached SVG paths;
* :mod:`~bettercities.figures.svg` draws maps, legends and charts;
* :mod:`~bettercities.views.cache` memoises computed values per data version.
"""
