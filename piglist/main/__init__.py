"""The landing page, the dashboard and the health check."""
