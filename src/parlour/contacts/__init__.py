"""Contacts (users and leads): list, create, show, update and delete under `/contacts`."""
