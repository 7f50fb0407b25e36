"""Conversations: the list and retrieve endpoints, their rules and storage."""
