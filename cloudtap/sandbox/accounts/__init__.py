"""Scenario and replay accounts of the sandbox."""
