"""Consultation rounds on priorities, goals and actions: comments, priority voting, invitations, moderation
and protected results (issue 13). See ``docs/consultations.md``."""
