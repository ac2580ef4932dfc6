"""Activity ledger, decaying engagement scores, leads for sales, webhooks."""
