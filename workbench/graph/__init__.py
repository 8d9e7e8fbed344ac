"""The investigation graph: the schema declared once (``schema.yaml``), the element builders that turn
canonical events and leads into nodes and relationships, the ``GraphStore`` protocol and its stores."""
