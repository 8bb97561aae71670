"""Impact evaluation: interventions, evaluation plans, designs (one module per design), inference and evidence
labels (issue 14). See ``docs/impact.md``.

A design estimates what the outcome would have been without the measure (the counterfactual) from a long
panel, one row per unit and period; :func:`bettercities.impact.designs.estimate` validates the panel, runs
the registered design and adds the plain-language verdict and the evidence label.
"""
