"""SLA rules: a workspace's reply and close targets, applied to conversations."""
