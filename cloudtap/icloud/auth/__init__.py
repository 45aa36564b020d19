"""cloudtap.icloud.auth."""
