"""Signals referrals sends, and the receivers it connects (imported once by the factory)."""
