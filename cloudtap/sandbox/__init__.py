"""cloudtap.sandbox."""
