"""Consultation rounds on priorities, goals and actions (issue 13; ``docs/consultations.md``).

``models.py``         rounds, items, invitations, ballots with their votes, comments (tables)
``schemas.py``        typed inputs and results (round, item, ballot, comment, invitation, results)
``service.py``        rounds and their items (checked through the lower domains), opening and closing
``participation.py``  invitations, who takes part, ballots, comments, proposals, moderation
``voting.py``         the aggregation kernels: Borda count and dot voting (pure functions)
``queries.py``        reads the CLI, API and pages share: visible rounds, a round, results with the breakdown
"""
