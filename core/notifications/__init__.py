"""Notifications for members: shared infrastructure every domain raises through `services.notify`."""
