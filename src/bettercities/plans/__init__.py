"""Action plans in the URBACT Integrated Action Plan structure: objectives, actions, their owners, timelines,
budgets, risks and links to goals and areas (issue 13). See ``docs/plans.md``."""
