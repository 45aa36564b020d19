"""cloudtap.api."""
