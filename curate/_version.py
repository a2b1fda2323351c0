"""The package version (the base floor: everything may import it)."""

__version__ = "0.1.0"
