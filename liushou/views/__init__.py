"""Blueprints, one per area. A view parses input, calls one service or query, renders."""
