"""Stored indicator values read for other apps. Placeholder until the computation runs exist."""


def computed_measurement(code, zone=None):
    """Return a Measurement for a computed indicator of the current run, or None if none exists."""
    return None
