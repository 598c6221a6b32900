"""Server-rendered pages (the consumer lot page, the browser verifier)."""
