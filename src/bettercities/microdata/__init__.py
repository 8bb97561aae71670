"""Small-area indicators from register microdata: a YAML spec of aggregations, written once as Ibis
expressions and run on DuckDB (embedded, the default) or Apache Spark; the results pass through the normal
validated import (see docs/microdata.md). Microdata never enter the database.
"""
