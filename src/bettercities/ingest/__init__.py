"""Readers, validation and imports of areas and observations, with provenance and revisions."""
