"""Matching: a pure library that ranks CVs against offers (see matching/ modules)."""
