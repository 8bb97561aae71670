"""Priority areas: rules over index classes, LISA clusters, Gi* hot spots and thresholds, and named sets.

``models.py``      named sets of priority areas and their areas (tables)
``schemas.py``     rules and their conditions, presets, results, set records and the set request
``evaluation.py``  evaluating a rule on what an audience may see (``evaluate``)
``service.py``     named sets: save, list, get, delete, who may see them, CSV and GeoJSON writers
``queries.py``     reads the API, pages and their JSON twins share (``PriorityQuery``, visible sets)
"""
