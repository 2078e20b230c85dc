"""Requirement catalogs, requirement-to-implementation mapping and the control matrix."""
