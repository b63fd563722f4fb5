"""Where state lives outside the ORM's models: Redis clients (fail-fast, behind a breaker), row
locks that hold on both backends, the job queue, outgoing mail, and rows the process caches keep outside a session. The domain calls these; these
call nothing of the domain."""
