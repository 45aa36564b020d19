"""Signing in to Apple: SRP (``srp``), the sign-in call (``signin``), 2FA (``hsa2``), legacy
2SV (``twosv``) and the state machine that strings them together (``flow``)."""
