"""Who may use the admin pages and API: admins with a second factor on (the rule payouts
already follow: ``app.accounts.two_factor.require_for_payouts``)."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from app.accounts import two_factor
from app.core.auth import require_admin
from app.core.error_handlers import N_
from app.core.errors import Forbidden


def require_admin_access() -> None:
    """403 unless the user is an admin with two-factor authentication on (with a link to turn it on)."""
    require_admin()
    if not two_factor.is_enabled(current_user):
        raise Forbidden(
            "Turn on two-factor authentication before you use the admin pages.",
            code="two_factor_required",
            link=url_for("web.two_factor_page"),
            link_text=N_("Turn on two-factor authentication"),  # the error page translates it
        )
