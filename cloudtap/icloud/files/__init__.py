"""cloudtap.icloud.files."""
