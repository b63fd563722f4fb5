"""The JSON API (``/api/v1``): the same services as the pages, answered as JSON. The blueprint
is in ``blueprint``; ``routes`` attaches every view to it and is what ``create_app`` registers."""
