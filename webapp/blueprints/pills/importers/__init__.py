"""Importers that load pills from published files: DailyMed SPL labels and the Pillbox CSV."""
