"""Referral operations. They flush but never commit; the caller commits once.

Other domains use only what this package exports (leads: record_conversion, discovery_path).
"""

from referrals.services import clicks, links, privacy, reports
from referrals.services.conversions import attribute_signup, discovery_path, record_conversion

__all__ = ["attribute_signup", "clicks", "discovery_path", "links", "privacy", "record_conversion", "reports"]
