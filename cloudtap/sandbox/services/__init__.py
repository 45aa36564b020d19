"""Emulated iCloud services beyond Photos: Find My, contacts, calendar, CloudKit apps."""
