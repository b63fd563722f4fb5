"""Request plumbing shared by every door: what is refused before a view runs, security headers,
JSON in and out, request logs, the one form skeleton and the error pages. Nothing here
knows a gift or a group; the areas' blueprints build on it."""
