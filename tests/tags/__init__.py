"""Tests of `parlour.tags`."""
