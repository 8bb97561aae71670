"""Open exchange formats: Frictionless Data Packages, SDMX (CSV and ML), Excel with metadata; Urban Audit."""
