"""Request and response schemas of community, one module per resource, made once per module."""
