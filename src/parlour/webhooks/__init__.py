"""Webhooks: Intercom's conversation topics, signed, delivered at least once from an outbox."""
