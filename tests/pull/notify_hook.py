"""A notification command for tests: appends ``<event> <message>`` to the file named."""

import os
import sys

with open(sys.argv[1], "a") as out:
    out.write(f"{os.environ['CLOUDTAP_EVENT']} {os.environ['CLOUDTAP_MESSAGE']}\n")
