"""flask-login's loaders: who a session cookie or a Bearer token names. Registered on the shared
``login_manager`` by ``app.core.domains.init_app``, so ``app.core.auth`` needs no user model."""

from __future__ import annotations

from flask import Flask

from app.accounts.models import User
from app.accounts.services import user_for_token
from app.core.auth import bearer_token, note_token_user
from app.core.extensions import db, login_manager


def init_app(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @login_manager.request_loader
    def load_user_from_bearer(req) -> User | None:
        token = bearer_token()
        if token is None:
            return None
        user = user_for_token(token)
        note_token_user(user)
        return user
