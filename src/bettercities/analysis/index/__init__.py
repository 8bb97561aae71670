"""Social indices: the Berlin Monitoring Soziale Stadtentwicklung and configurable composite indices.

``models.py``      stored index runs and their areas (tables)
``schemas.py``     typed configurations (MSS-type, composite) and results (area scores, class counts)
``service.py``     computing an index on a table (``compute_index``, ``compute_index_file``, ``write_csv``)
``queries.py``     reads the API, pages and their JSON twins share: run list, run view, change of classes
``methods/``       registered index methods (``berlin-mss``, ``composite``); ``config.py`` and ``presets/``
``inputs.py``, ``table.py``, ``kernels.py``  the input from the store or a file, and the numeric kernels
``results.py``     runs on stored observations (store, list, publish, view); ``exports.py`` CSV/Excel/GeoJSON
``robustness.py``, ``change.py``  robustness of the classes, and change between two runs
"""
