"""Graph analytics on graphs built in columns from the events: communities (``partition``)."""

from workbench.analytics.partition import METHODS, modularity, partition

__all__ = ["METHODS", "modularity", "partition"]
