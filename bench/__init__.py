"""Peerloop's benchmark: each figure measured side by side with its baseline in one run."""
