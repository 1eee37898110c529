"""One module per page; each has ``render(app, query) -> Response``."""
