"""One module per Apple web service (CloudKit, contacts, calendar, Find My, …): requests
and the replies read into typed values."""
