"""Renderers that lay out a computed `controls.model.Matrix` as files (xlsx, csv, md, html, OSCAL)."""
