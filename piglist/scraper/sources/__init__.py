"""Extraction sources, one module per kind of evidence a page carries."""
