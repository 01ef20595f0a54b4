"""Pill Identifier: the search form and results, pill pages, pictures, and the JSON API."""
