"""The city registry for Europe: Urban Audit cities and GeoNames towns merged into the ``city`` table,
their NUTS-3 regions with the urban-rural type, Urban Audit indicators, and benchmarking across cities
(issue 15)."""
