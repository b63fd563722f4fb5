"""Accounts on the website: register, log in and out, profile and personal API tokens."""
