"""Referral links and campaigns, click tracking, attribution and fraud controls."""
