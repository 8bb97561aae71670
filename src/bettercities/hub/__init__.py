"""The knowledge hub: practices of cities (what was done, results, linked indicators, goals and documents)
and events (webinars with date, topic, speakers, recording, outcomes and recommendations), searched in full
text on SQLite (FTS5) and PostgreSQL (tsvector) with filters (issue 16). See ``docs/hub.md``."""
