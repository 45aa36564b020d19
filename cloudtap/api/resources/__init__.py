"""One module per ricloud resource (``sessions``, ``polls``, ``results``, …): its routes and
its rules."""
