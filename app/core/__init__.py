"""What every domain shares: configuration, database, extensions, errors, queue, storage,
rate limits, auth, the mail outbox, the shared ``api`` and ``web`` blueprints, and the registry
of domains (``app.core.domains``). Core imports no domain: the registry imports them by name,
and a domain that fills a shared part in (``app.accounts.login``: flask-login's loaders) does so
from its own package."""
