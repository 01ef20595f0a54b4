"""One package per area of the site; see webapp/areas.py for the list."""
