"""Takedown notices and forwards, with their clock: models, services, transports,
re-checks, reminders and escalation, statistics and re-uploads (see docs/notices.md)."""
