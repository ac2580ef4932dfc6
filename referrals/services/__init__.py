"""Referral operations, one module per resource: plain functions that flush but never commit;
the caller commits once. Callers import the module: `conversions.record_conversion`.

Other domains use: conversions.record_conversion(s) and conversions.discovery_path (leads),
links.share_link (community).
"""
