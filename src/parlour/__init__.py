"""Parlour: a self-hostable, Intercom-compatible conversations server."""

__version__ = "0.1.0"
