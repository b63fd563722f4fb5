"""The group admins' pages, under /admin/groups/<id>/ — every route behind one admin check."""
