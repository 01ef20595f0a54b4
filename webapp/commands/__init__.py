"""CLI commands of each area; see webapp/areas.py CLI_MODULES."""
