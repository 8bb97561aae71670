"""Server-rendered pages; each route has a JSON twin at the same path with ``.json`` appended."""
