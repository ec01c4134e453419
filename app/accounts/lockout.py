"""Backoff lockout of an account after repeated wrong passwords.

Invariants:

- Each wrong password for an existing account adds one to ``users.failed_logins``; the
  right one sets it back to 0 and lifts any lock.
- From the ``LOGIN_LOCKOUT_AFTER``-th failure in a row, the account is locked for
  ``LOGIN_LOCKOUT_SECONDS``, doubled at each further failure, never more than
  ``LOGIN_LOCKOUT_MAX_SECONDS``. While locked, every login (page, API, token creation) is a
  429 ``account_locked`` with ``Retry-After``, without checking the password, so guessing
  stops: 40 wrong passwords in a row are 5 refusals, then 429s.
- A failure is committed even though its request fails (``counting_failed_logins``): a
  rolled-back count would count nothing.
- The owner gets a mail each time a lock starts (with the way out: reset the password).

A lock says the account exists, but only after LOGIN_LOCKOUT_AFTER wrong passwords for it,
and the per-address and per-email rate limits (``app.core.ratelimit``, applied to unknown
addresses alike) bound how many addresses anyone can probe that way.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g

from app.accounts import account_tokens
from app.accounts.models import User
from app.core.errors import AccountLocked, BadCredentials
from app.core.mail import queue_mail
from app.core.transactions import commit_now
from app.core.types import utcnow


def check_not_locked(user: User) -> None:
    """Raise ``AccountLocked`` while ``user`` is locked out."""
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        seconds = max(1, math.ceil((user.locked_until - now).total_seconds()))
        raise AccountLocked(
            f"Too many wrong passwords: this account is locked for {_in_words(seconds)}. "
            "Try again later, or reset your password.",
            retry_after_seconds=seconds,
            link="/forgot-password",
            link_text="Reset your password",
        )


def lock_seconds(failures: int) -> int:
    """How long the ``failures``-th wrong password in a row locks the account (0: not at all)."""
    cfg = current_app.config
    after = cfg["LOGIN_LOCKOUT_AFTER"]
    if failures < after:
        return 0
    doublings = min(failures - after, 30)  # 2**30 s is far beyond any cap
    return int(min(cfg["LOGIN_LOCKOUT_SECONDS"] * 2**doublings, cfg["LOGIN_LOCKOUT_MAX_SECONDS"]))


def record_failure(user: User) -> None:
    """Count a wrong password; lock the account (and tell its owner) when it is one too many."""
    user.failed_logins = (user.failed_logins or 0) + 1
    seconds = lock_seconds(user.failed_logins)
    if seconds:
        user.locked_until = utcnow() + timedelta(seconds=seconds)
        queue_mail(
            to=user.email,
            subject="Your Encore account was locked after wrong passwords",
            body=(
                f"Hello {user.display_name},\n\n"
                f"someone typed a wrong password for your Encore account {user.failed_logins} times in a row, "
                f"so logins are refused for {_in_words(seconds)}.\n"
                "If it was you, wait and try again. If it was not, nobody got in, but choose a new password:\n"
                f"{account_tokens.link('/forgot-password')}\n"
            ),
            dedupe_key=f"account-locked:{user.id}:{user.locked_until.isoformat()}",
        )
        g.lock_mail_queued = True


def record_success(user: User) -> None:
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None


@contextmanager
def counting_failed_logins():
    """Let a refused password still count: commit the failure (and nothing else was changed by
    then) before the refusal is answered, and send a lock mail at once (only then: a wrong
    password alone enqueues nothing, so guessing cannot flood the queue)."""
    try:
        yield
    except BadCredentials:
        commit_now("a wrong password still counts towards the account's lockout")
        if g.pop("lock_mail_queued", False):
            from app.accounts.tasks import deliver_mail_soon

            deliver_mail_soon()
        raise


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"
