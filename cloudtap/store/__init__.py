"""cloudtap.store."""
