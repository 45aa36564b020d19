"""cloudtap.icloud."""
