"""Domain logic: plain functions with no Flask request, session or current_user in them."""
