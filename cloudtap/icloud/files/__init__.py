"""One module per file id scheme (``icpl://``, ``mme_contact_image://``, …): how a file id
becomes a byte stream from Apple."""
