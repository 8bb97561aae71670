"""Documents: HTML and PDF reports rendered on the server (impact reports and result cards, the goals'
scorecard as PDF).

:mod:`bettercities.reports.html` renders the package's Jinja templates in German or English with the
project's one set of gettext catalogues; :mod:`bettercities.reports.pdf` turns such HTML into a tagged PDF
(PDF/UA-1) with WeasyPrint, without touching the network. The documents take typed results
(:class:`bettercities.impact.schemas.EstimateResult`, ...) and draw their charts with
:mod:`bettercities.figures`.
Only the web app and the CLI import this package.
"""
