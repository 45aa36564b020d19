"""cloudtap.icloud.services."""
