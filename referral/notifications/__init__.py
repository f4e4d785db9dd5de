"""Notifications and mail: the outbox and preferences, the events no request
causes, digests, the in-app inbox, candidate e-mails, and delivery.

See ARCHITECTURE.md."""
