"""cloudtap.jobs."""
