"""Piglist as an installable app on a phone or a desktop (SPEC §10.7): the manifest, the service
worker and its offline page, and the share target ("Share → Piglist", the bookmarklet) that turns a
shop's link into a gift. The blueprint is in ``routes``; ``share`` decides what a shared link is
and where it may go."""
