"""One module per data type (``icpl.photos``, ``fmip.devices``, …): its id, its item model
and ``fetch``, which yields the items; ``registry`` maps ids to modules."""
