"""Family groups on the website: create, join by invite link, the group overview, leave."""
