"""Lumi's versioned classifiers, their registry and their knowledge files."""
