"""The transactional outbox: deferred work is a row committed with the request, sent after it."""
