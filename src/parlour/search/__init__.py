"""Intercom's search API: the query model (`query`, pure) and its SQL compiler (`compile`)."""
