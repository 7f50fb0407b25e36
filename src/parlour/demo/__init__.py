"""Deterministic demo data: realistic support workspaces, generated and bulk-loaded."""
