"""Goals: an indicator, areas, a baseline from the stored data, a target and a deadline, an owner; the status
is computed from the data (issue 13). See ``docs/goals.md``."""
