"""Relais domain: models, rules and use cases; knows nothing of Flask (see ARCHITECTURE.md)."""
