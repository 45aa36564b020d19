"""cloudtap.cli."""
