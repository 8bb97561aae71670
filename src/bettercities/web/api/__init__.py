"""The JSON API under ``/api/``: one router per domain, typed responses, uniform pagination."""
