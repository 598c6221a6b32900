"""Server-rendered pages (the consumer lot page)."""
