"""Tests of `parlour.contacts`."""
