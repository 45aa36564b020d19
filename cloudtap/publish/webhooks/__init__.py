"""Outbound webhooks: signing, SSRF-safe delivery."""
