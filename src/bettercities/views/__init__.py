"""Views: the typed results behind the pages and their JSON twins, read for a principal's audience.

* :mod:`~bettercities.views.reader` holds the :class:`Reader` (the library's reads for one request, published
  for the principal's audience) and the process's :class:`Caches`;
* :mod:`~bettercities.views.service` assembles views of cities, areas and indicators from those reads;
* :mod:`~bettercities.views.schemas` holds those typed results;
* :mod:`~bettercities.views.cache` memoises computed values per data version.

The drawings (class breaks, shapes, SVG maps and charts) are :mod:`bettercities.figures`.
"""
