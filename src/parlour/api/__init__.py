"""Shared HTTP plumbing: auth, versions, pagination, errors, the edge middleware."""
