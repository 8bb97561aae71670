"""The catalogue: datasets with DCAT-AP.de metadata, their RDF export, inventory against a reference set
of social indicators, stewardship (owners, stewards, cadence, due dates) and the approval workflow."""
