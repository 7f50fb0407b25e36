"""Tests of `parlour.teams`."""
