"""The publication step: every output (page, API response, export, map) passes through here.

It decides what an audience may see. Suppressed cells (statistical disclosure control) never show their
value, numerator or denominator to anyone outside the data team (:mod:`.values`). Whole indicators are
withheld by rules the domains register (:mod:`.rules`), e.g. the catalogue's: observations of an indicator
that belongs to datasets of the city, none of them published with public access rights, are withheld from
the public (indicators in no dataset stay public); and the networks': indicators of approved or published
datasets that the city shares with a network it is a member of are not withheld from that network's members.
This package imports no domain: the manifest names the modules that register the rules.
"""

from bettercities.publication.audience import Audience
from bettercities.publication.values import publish_scores, publish_series, publish_values
from bettercities.publication.withholding import withheld, withheld_indicators

__all__ = [
    "Audience",
    "publish_scores",
    "publish_series",
    "publish_values",
    "withheld",
    "withheld_indicators",
]
