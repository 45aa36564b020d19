"""Secrets at rest: sealing Apple session state, hashing API tokens, signing URLs."""
