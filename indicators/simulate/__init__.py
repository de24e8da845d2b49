"""Simulations on the official scale: planning (where new GPs help most, plans, needs) and its
exact answers by integer programming (stored jobs)."""
