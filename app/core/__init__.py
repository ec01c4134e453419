"""What every domain shares: configuration, database, extensions, errors, queue, storage,
rate limits, auth, the mail outbox, the shared ``api`` and ``web`` blueprints, and the registry
of domains (``app.core.domains``). Core imports no domain at import time except through that
registry (``auth`` reads ``app.accounts`` for tokens)."""
