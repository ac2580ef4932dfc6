"""Request and response schemas of journey, one module per resource, made once per module."""
