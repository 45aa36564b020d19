"""Emulated Apple hosts: idmsa (sign-in), setup (accountLogin), services."""
