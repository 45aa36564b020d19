"""One module per page (or resource) of the dashboard; mount.py includes their routers."""
