"""Flask's session, kept on the server (``account_sessions``), and the remember-me cookie.

The ``session`` cookie holds only a random id. The session dict (Flask-Login's user id, the
CSRF token, flashed messages) is stored in the row, so logging out, "log out everywhere" or
a password change end a session for good: the cookie's next request is a visitor's.

When the user in the session changes (a login, a logout, another user logging in) the old
row is deleted and a new one, with a new id, is created: no session id survives a change of
identity (session fixation). Flask-Login's own remember cookie (``<user id>|HMAC``, the same
value at every login and revocable by nothing) is switched off; ``REMEMBER_COOKIE`` is a
per-device token instead, see ``app.accounts.sessions``.

Requests for static files and health checks never read the table.
"""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app.accounts import sessions as store
from app.core.auth import SESSION_USER_KEY
from app.core.extensions import db

REMEMBER_COOKIE = "encore_remember"
# Flask-Login reads its remember cookie under this name; nobody is ever given one, so its
# `<user id>|HMAC` cookies (issued before server-side sessions) are no longer accepted.
LEGACY_REMEMBER_COOKIE = "remember_token"
_FLASK_LOGIN_REMEMBER_OFF = "encore_flask_login_remember_is_off"
_serializer = TaggedJSONSerializer()
_SKIPPED_PREFIXES = ("/healthz", "/health/")  # load balancers probe often and carry no cookies


class ServerSession(CallbackDict, SessionMixin):
    """The session dict of one request, with what the interface needs to save it."""

    def __init__(self, initial=None, *, row_id: int | None = None, user_id: int | None = None, last_seen=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.row_id = row_id
        self.loaded_user_id = user_id
        self.last_seen = last_seen
        self.modified = False
        self.remember_device = False  # set by ``app.core.auth.complete_login``
        self.issued: store.Issued | None = None  # secrets to send with this response
        self.forget_remember_cookie = False
        self.skipped = False
        self.loaded_user = None


def _user_id_in(data) -> int | None:
    value = data.get(SESSION_USER_KEY)
    return int(value) if isinstance(value, str) and value.isdigit() else None


class ServerSessionInterface(SessionInterface):
    serializer = _serializer

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(app.static_url_path + "/") or request.path.startswith(_SKIPPED_PREFIXES):
            session = ServerSession()
            session.skipped = True  # neither read nor written: the cookies stay as they are
            return session
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid:
            found = store.find(sid)
            if found is not None:
                row = found[0]
                session = ServerSession(
                    self._load(row.data), row_id=row.id, user_id=row.user_id, last_seen=row.last_seen_at
                )
                # The identity map holds objects weakly: keeping the user read with the session
                # alive makes Flask-Login's ``db.session.get`` a lookup in memory, not a query.
                session.loaded_user = found[1]
                return session
        remembered = request.cookies.get(REMEMBER_COOKIE)
        if remembered:
            issued = store.resume(remembered, user_agent=request.user_agent.string, ip_address=request.remote_addr)
            db.session.commit()  # the rotation stands even if the view fails
            if issued is None:
                session = ServerSession()
                session.forget_remember_cookie = True
                return session
            data = self._load(issued.row.data)
            data["_fresh"] = False  # restored by a cookie, not by a password (Flask-Login's meaning)
            session = ServerSession(
                data, row_id=issued.row.id, user_id=issued.row.user_id, last_seen=issued.row.last_seen_at
            )
            session.modified = True
            session.issued = issued
            return session
        return ServerSession()

    @staticmethod
    def _load(text: str) -> dict:
        try:
            data = _serializer.loads(text)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        if session.skipped:
            return
        name = self.get_cookie_name(app)
        user_id = _user_id_in(session)
        changed_identity = session.row_id is not None and user_id != session.loaded_user_id
        touch = session.row_id is not None and session.last_seen is not None and store.needs_touch(session.last_seen)
        creating = (session.row_id is None or changed_identity) and bool(session)
        if changed_identity or creating or (session.row_id is not None and (session.modified or touch)):
            self._write(session, user_id, changed_identity, creating, touch)
        if session.row_id is None and session.issued is None and name in request.cookies:
            self._delete_cookie(app, response, name)  # an ended or unknown session: forget its id

        if session.issued is not None:
            self._set_cookie(app, response, name, session.issued.session_id, max_age=None)
            if session.issued.remember:
                max_age = int(
                    (session.issued.row.remember_expires_at - session.issued.row.last_seen_at).total_seconds()
                )
                self._set_cookie(app, response, REMEMBER_COOKIE, session.issued.remember, max_age=max_age)
        forget = session.forget_remember_cookie and not (session.issued and session.issued.remember)
        if forget and REMEMBER_COOKIE in request.cookies:
            self._delete_cookie(app, response, REMEMBER_COOKIE)
        if LEGACY_REMEMBER_COOKIE in request.cookies:
            self._delete_cookie(app, response, LEGACY_REMEMBER_COOKIE)

    def _write(self, session: ServerSession, user_id, changed_identity: bool, creating: bool, touch: bool) -> None:
        """One short transaction of the session's own. The view has committed its work or
        failed; whatever it left pending must not ride on this commit."""
        if db.session.new or db.session.dirty or db.session.deleted:
            db.session.rollback()
        if changed_identity:
            store.end(session.row_id)  # a login or a logout: the old id dies with the old identity
            if session.loaded_user_id is not None:
                session.forget_remember_cookie = True
            session.row_id = None
            session.issued = None
        if creating:
            session.issued = store.create(
                user_id=user_id,
                data=_serializer.dumps(dict(session)),
                user_agent=request.user_agent.string,
                ip_address=request.remote_addr,
                remember=session.remember_device,
            )
        elif session.row_id is not None:
            store.save(session.row_id, data=_serializer.dumps(dict(session)) if session.modified else None, touch=touch)
        db.session.commit()

    def _set_cookie(self, app, response, name, value, *, max_age):
        # The remember-me cookie carries the same flags as the session cookie.
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite=self.get_cookie_samesite(app) or "Lax",
            secure=self.get_cookie_secure(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
        )

    def _delete_cookie(self, app, response, name):
        response.delete_cookie(
            name,
            httponly=True,
            samesite=self.get_cookie_samesite(app) or "Lax",
            secure=self.get_cookie_secure(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
        )


def init_app(app: Flask) -> None:
    app.config["REMEMBER_COOKIE_NAME"] = _FLASK_LOGIN_REMEMBER_OFF
    app.session_interface = ServerSessionInterface()
