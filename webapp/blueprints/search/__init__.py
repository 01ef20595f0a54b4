"""Site-wide search: one box in the header of every page, one results page with a section
per kind of thing (drugs, conditions, pills, articles, community threads)."""
