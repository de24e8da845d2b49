"""Computation runs: who may read which run (``access``)."""
