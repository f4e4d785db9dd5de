"""Relais domain: models, services and persistence. Knows nothing of Flask (see DESIGN.md)."""
