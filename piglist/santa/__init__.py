"""Secret Santa (SPEC §10.5): exchanges in a group, a fair draw, assignments only their Santa can
read, and anonymous questions between a Santa and their recipient.

- ``draw``: the draw itself (pure: fair, exact about impossible rule sets);
- ``exchanges``: creating, drawing and opening exchanges, who may do what;
- ``secrecy``: the one place deciding what anyone may read of who drew whom;
- ``messages``: the anonymous questions and answers, and their mails;
- ``routes`` / ``forms``: the pages (the API's door is piglist.api.exchanges).
"""
