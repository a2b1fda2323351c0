"""Bridges to other data-processing frameworks (``curate.integrations.datatrove``)."""
