"""The ``fleet`` command: the only place that wires the parts together."""

from fleet.cli.main import main

__all__ = ["main"]
