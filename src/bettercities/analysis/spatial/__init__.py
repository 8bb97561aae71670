"""Spatial statistics: Moran's I, LISA clusters and Getis-Ord Gi* hot spots (esda/libpysal), and typologies.

No ``models.py``: computed on the fly from published values, nothing is stored.

``schemas.py``     spatial weights (``WeightsSpec``) and the typed results, of a layer and of stored data
``service.py``     the statistics of a stored indicator over a city level (``analyse``, ``resolve``)
``queries.py``     the typed queries the API, pages, their JSON twins and the CLI share
``statistics.py``  the esda/libpysal wrappers over a layer read from a file (``read_geodata``, ``moran``)
``typology.py``    types of areas by their standardised indicator profile (k-means, Ward)
"""
