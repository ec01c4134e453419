"""The wallet page: your balance, the tracks you own, and what each play cost."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required

from app.core.converters import MAX_ID
from app.core.web import bp
from app.payments.services import wallet

PAGE = 50


@bp.get("/wallet")
@login_required
def wallet_page():
    before = request.args.get("before", type=int)
    plays = wallet.play_history(current_user, limit=PAGE, before_id=before if before and 0 < before <= MAX_ID else None)
    return render_template(
        "payments/wallet.html",
        balance=wallet.balance(current_user),
        owned=wallet.owned(current_user),
        plays=plays,
        older=plays[-1][0].id if len(plays) == PAGE else None,
        statement=wallet.statement(current_user, limit=20),
    )
