"""Ordered schema revisions of the state store."""
