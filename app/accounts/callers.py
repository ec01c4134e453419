"""Who a one-statement API route acts for, found by the route's own statement.

A play's start and its progress reports are one database statement each and the busiest calls
of the API. Through flask-login, a Bearer token cost them a round trip of its own (the token
lookup) and an ORM ``User`` before the statement: about a fifth of a start's CPU. So these
routes hand the statement the credential instead, and ``CALLER_SQL``, joined into it, finds the
user in the same round trip:

- a browser session's user id (flask-login loaded that user from the cookie already);
- or the hash of the Bearer token, when no session names a user.

Invariants:

- The refusals are those of ``app.core.auth.api_login_required`` and the token loader
  (``app.accounts.login``): no credential or an unknown (revoked) token is a 401, a suspended
  account a 403 that says why (``refused_unless_allowed``).
- A session user wins over a token, as in flask-login (it reads the session first).
- A token is looked up by its hash only (``app.accounts.services.token_hash``).
- Such a route counts its rate limit once the statement has named the user
  (``app.core.ratelimit.count_hit``): per user as ``limit_key`` does, and per address when
  nobody is logged in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_login import current_user

from app.accounts.services import token_hash
from app.accounts.suspension import refuse_if_suspended
from app.core.auth import bearer_token, session_names_a_user
from app.core.errors import Unauthorized

# The caller's row, for a statement to join (``WITH who AS (...)``). Its parameters come from
# ``Caller.params``; no row when the token is unknown. ``CALLER_COLUMNS`` names its columns.
CALLER_SQL = """
SELECT u.id AS caller_id, u.role AS caller_role, u.suspended_at AS caller_suspended_at,
       u.suspension_reason AS caller_suspension_reason
FROM users u
WHERE u.id = coalesce(CAST(:caller_user_id AS integer),
                      (SELECT t.user_id FROM api_tokens t WHERE t.token_hash = :caller_token_hash))
"""
CALLER_COLUMNS = ("caller_id", "caller_role", "caller_suspended_at", "caller_suspension_reason")


@dataclass(frozen=True)
class Caller:
    """A user by id (a session, or a caller in this process), or a Bearer token's hash."""

    user_id: int | None = None
    token_hash: str | None = None

    @classmethod
    def of(cls, user: Any) -> Caller:
        """The caller for a user this process already holds (the web player, Subsonic, the demo)."""
        return cls(user_id=user.id)

    @property
    def by_token(self) -> bool:
        return self.token_hash is not None

    def params(self) -> dict[str, Any]:
        return {"caller_user_id": self.user_id, "caller_token_hash": self.token_hash}


def from_request() -> Caller | None:
    """This request's caller, without loading a user for a Bearer token; None without a credential."""
    token = bearer_token()
    if token is not None and not session_names_a_user():
        return Caller(token_hash=token_hash(token))
    if current_user.is_authenticated:
        return Caller.of(current_user)
    return None


def refused_unless_allowed(caller: Caller, row: Any, action: str) -> None:
    """Refuse as the login doors do when the statement found no user for ``caller`` (``row``
    None or without ``caller_id``), or found a suspended account (``action``: what it cannot do;
    "use the API" for a token, as the token loader says)."""
    if row is None or row.caller_id is None:
        if caller.by_token:
            raise Unauthorized("This API token is not valid (it may have been revoked).", code="bad_token")
        raise Unauthorized("Log in or send a valid API token (Authorization: Bearer ...).")
    refuse_if_suspended(
        row.caller_suspended_at, row.caller_suspension_reason, "use the API" if caller.by_token else action
    )
