"""Scraping as the product uses it, around the scraper library (``piglist.scraper``: a URL in, a
product out): the budget, the cache and the "Fetch details" preview (``service``), and the job
that writes a scrape onto a gift (``gifts``)."""
