"""Surveys of municipalities: XLSForm questionnaires, responses per municipality, results with small groups
withheld, and the gap analysis of what a city says against what it holds."""
