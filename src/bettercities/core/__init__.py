"""Settings, errors and typed problem reports shared by every domain."""
