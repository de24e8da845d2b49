"""Signals other apps listen to without territories importing them."""

from django.dispatch import Signal

# Sent after the transaction of a successful (non dry-run) import commits; kwargs: dataset.
dataset_imported = Signal()
