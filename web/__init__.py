"""Server-rendered pages for people: templates, static files, the nl/en strings."""
