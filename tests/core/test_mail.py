"""The outbox: notices are idempotent, and delivery speaks real SMTP to a local server."""

import socketserver
import threading

from sqlalchemy import func, select

from app.core.extensions import db
from app.core.mail import deliver_outbox, queue_mail
from app.core.models import OutboxMessage


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: greets, accepts every message, records it."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test-smtp ready")
        envelope = {"to": []}
        while True:
            line = self.rfile.readline().decode().rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test-smtp")
            elif verb == "MAIL":
                envelope = {"from": line, "to": []}
                self.reply("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(line.split(":", 1)[1].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while (chunk := self.rfile.readline().decode()) not in (".\r\n", ""):
                    data.append(chunk)
                envelope["data"] = "".join(data)
                self.server.received.append(envelope)
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def test_queue_mail_is_idempotent_per_key(app_ctx):
    assert queue_mail(to="a@example.test", subject="Hi", body="1", dedupe_key="k1") is not None
    assert queue_mail(to="a@example.test", subject="Hi", body="2", dedupe_key="k1") is None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_console_backend_marks_sent(app_ctx):
    queue_mail(to="a@example.test", subject="Hi", body="hello", dedupe_key="k2")
    assert deliver_outbox() == 1
    assert deliver_outbox() == 0


def test_smtp_delivery(app, app_ctx):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1], SMTP_STARTTLS=False)
    try:
        queue_mail(to="ada@example.test", subject="Vote open: cheaper plays", body="Vote here.", dedupe_key="k3")
        assert deliver_outbox() == 1
    finally:
        app.config.update(old)
        server.shutdown()
        server.server_close()
    [message] = server.received
    assert message["to"] == ["ada@example.test"]
    assert "Subject: Vote open: cheaper plays" in message["data"] and "Vote here." in message["data"]
    assert db.session.scalar(select(OutboxMessage.sent_at)) is not None


def test_mail_delivery_leaves_the_commit_to_its_caller(app_ctx):
    queue_mail(to="t@example.test", subject="s", body="b", dedupe_key="outbox")
    db.session.commit()
    assert deliver_outbox() == 1
    db.session.rollback()  # the caller decided not to commit: the message is still unsent
    assert db.session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.dedupe_key == "outbox")) is None
    assert deliver_outbox(checkpoint=db.session.commit) == 1
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.dedupe_key == "outbox")) is not None
