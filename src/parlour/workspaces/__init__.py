"""Workspaces and access tokens: who is calling, and which tenant they may see."""
