"""iCloud Photos (CloudKit) emulation and lazily generated libraries."""
