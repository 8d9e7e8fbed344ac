"""Notebook widgets: the graph view (vis-network inside the package, no CDN) with its time bar, and the
investigation apps built from it (``LeadBoard``, ``Explorer``, ``PathFinder``, ``CommunityView``,
``ScenarioTrainer``). Apps are views over the library: every action calls the same functions as the CLI."""
