"""Threads, replies, reactions, peer recommendations with NPS, moderation and search."""
