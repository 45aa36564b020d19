"""cloudtap.api.resources."""
