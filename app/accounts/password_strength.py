"""How hard a password is to guess, by zxcvbn (Dropbox's estimator: dictionaries of common
passwords, names and words, keyboard patterns, dates, l33t substitutions).

A password is accepted at zxcvbn score 3 or more ("safely unguessable" against an online
attack, moderate protection offline), between 8 and 1024 characters. The refusal quotes
zxcvbn's own feedback so the form can say why.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from app.core.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 1024  # Argon2 takes any length; this bounds the work a request can ask for
MIN_SCORE = 3
# zxcvbn's matching is superlinear in length; past this many characters a password is long
# enough that its first part decides (the library refuses longer input by default).
_ESTIMATED_PREFIX = 72


def require_strong_password(password: str, *, user_inputs: tuple[str, ...] = (), field: str = "password") -> None:
    """Raise ``ValidationFailed`` (with ``field``) unless ``password`` is strong enough.
    ``user_inputs`` (the email, the display name) count as easy to guess."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationFailed(f"The password needs at least {MIN_LENGTH} characters.", field=field)
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"The password can have at most {MAX_LENGTH} characters.", field=field)
    inputs = [part for value in user_inputs if value for part in _words(value)]
    result = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        reasons = (
            " ".join(part for part in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if part)
            or "Add another word or two. Uncommon words are better."
        )
        raise ValidationFailed(
            f"This password is too easy to guess. {reasons}",
            code="weak_password",
            field=field,
            suggestions=feedback.get("suggestions", []),
            warning=feedback.get("warning") or "",
        )


def _words(value: str) -> list[str]:
    """An email or a name as the pieces a guesser would try ("ada.l@x.test" -> ada, l, x...)."""
    text = value.lower()
    pieces = [text]
    for sep in "@._- +":
        text = text.replace(sep, " ")
    pieces.extend(word for word in text.split() if len(word) >= 3)
    return pieces
