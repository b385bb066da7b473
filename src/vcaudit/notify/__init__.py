"""Notifications: routed email summaries, webhooks, and change detection between runs.

Kept light on purpose: the CLI imports `kinds` for its option types; everything else is
imported only when a scan has something to deliver.
"""
