"""Peer-learning tandems (pairs or triples of municipalities) formed from a call's selected applications:
a tandem IS a ``network`` row of kind ``tandem`` in the programme, its cities members with the role
``tandem partner``; this package adds its lifecycle stages, activities, documents, outputs (action plans
…) and links to the member cities' goals (issue 16)."""
