"""Request and response schemas of leads, one module per resource, made once per module."""
