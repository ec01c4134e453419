"""Every background task, declared for ``app.queue`` with ``@task`` or ``@periodic``.

Each task only calls services; importing this package declares them all.
"""

from app.tasks import accounts, analytics, audio, governance, payouts  # noqa: F401
