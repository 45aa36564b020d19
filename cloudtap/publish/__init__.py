"""cloudtap.publish."""
