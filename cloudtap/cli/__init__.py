"""The ``cloudtap`` command: ``serve``, ``worker``, ``keys``, ``db``, ``sandbox`` and ``pull``."""
