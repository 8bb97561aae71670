"""Indicator registry, periods and observations (with revisions and provenance), aggregation."""
