"""The course catalogue: institutions, courses, offerings, harvesting and search."""
