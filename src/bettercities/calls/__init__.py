"""Calls for participation of a programme: the call (themes, window, eligibility, application form),
applications by municipalities with their audited status history, panel scoring and selection (issue 16).

The contacts who speak for a municipality are the accounts domain's (:mod:`bettercities.access.contacts`);
their tables came with this domain's migration 0141.
"""
