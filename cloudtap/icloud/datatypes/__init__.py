"""cloudtap.icloud.datatypes."""
