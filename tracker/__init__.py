"""Asset and relocation tracker for the municipality's contingency plan."""

__version__ = "0.1.0"
