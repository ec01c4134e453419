"""Email: write to the outbox in the caller's transaction, deliver afterwards.

``queue_mail`` only adds an ``OutboxMessage`` row, so a notice exists exactly when the change
it reports was committed, and its ``dedupe_key`` makes a notice sent twice a no-op.
``deliver_outbox`` (run by the periodic task and ``flask mail deliver``) hands unsent rows
to the backend: SMTP when ``ENCORE_SMTP_HOST`` is set, otherwise the console backend, which
logs the message and marks it sent (the default, needing no server).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from app.core.extensions import db
from app.core.models import OutboxMessage
from app.core.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def queue_mail(*, to: str, subject: str, body: str, dedupe_key: str) -> OutboxMessage | None:
    """Add a message to the outbox unless one with ``dedupe_key`` is already there.

    Returns the new row, or None when it was a duplicate.
    """
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    message = OutboxMessage(dedupe_key=dedupe_key, to_address=to, subject=subject[:300], body=body)
    db.session.add(message)
    db.session.flush()
    return message


def _build(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    return email


def deliver_outbox(*, limit: int = 100, checkpoint: Callable[[], None] | None = None) -> int:
    """Send up to ``limit`` pending messages; returns how many were sent. Flushes; ``checkpoint``
    is called after each message is marked: the task and ``flask mail deliver`` pass
    ``db.session.commit``, so a message handed to SMTP is recorded as sent before the next one
    is tried and a crash later does not send it again."""
    cfg = current_app.config
    pending = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    if not pending:
        return 0
    sent = 0
    host = cfg["SMTP_HOST"]
    sender = cfg["MAIL_FROM"]
    smtp = None
    try:
        if host:
            smtp = _connect(cfg)
        for message in pending:
            message.attempts += 1
            try:
                if smtp is not None:
                    smtp.send_message(_build(message, sender))
                else:
                    log.info("mail to %s: %s\n%s", message.to_address, message.subject, message.body)
                message.sent_at = utcnow()
                message.last_error = None
                sent += 1
            except smtplib.SMTPException as exc:
                message.last_error = str(exc)[:2000]
                log.warning("mail to %s failed: %s", message.to_address, exc)
            db.session.flush()
            if checkpoint is not None:
                checkpoint()
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except smtplib.SMTPException:
                pass
    return sent


def _connect(cfg) -> smtplib.SMTP:
    port = cfg["SMTP_PORT"]
    smtp = smtplib.SMTP(cfg["SMTP_HOST"], port, timeout=30)
    starttls = cfg["SMTP_STARTTLS"]
    if starttls is None:
        starttls = port == 587  # submission port: TLS by default
    if starttls:
        smtp.starttls()
    if cfg["SMTP_USERNAME"]:
        smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
    return smtp
