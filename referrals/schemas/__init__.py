"""Request and response schemas of referrals, one module per resource, made once per module."""
