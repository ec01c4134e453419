"""Money out: an artist's payout method, earnings and statements; the admin's payout runs."""

from __future__ import annotations

import logging

from flask import Response, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.accounts import two_factor
from app.accounts.login import VERIFIED_AT, require_fresh_code, require_payout_factor
from app.admin.services import audit
from app.core import jobs
from app.core.auth import require_admin, require_manager
from app.core.error_pages import refuse, refused_redirect, translated
from app.core.errors import ServiceError
from app.core.extensions import db
from app.core.queue import enqueue
from app.core.transactions import commit_now
from app.core.web import bp
from app.payments.models import PayoutMethod, PayoutStatus
from app.payments.services import payout_destinations, payout_holds, payout_reviews, payouts
from ledger.units import format_credits

log = logging.getLogger(__name__)


def _managed(artist_id: int):
    artist = payouts.get_artist(artist_id)
    require_manager(artist)
    return artist


@bp.get("/artists/<int:artist_id>/money")
@login_required
def artist_money(artist_id: int):
    return _money_page(_managed(artist_id))


def _money_page(artist, bank_form=None, status: int = 200):
    """The artist's money page; ``bank_form`` refills the bank form after a refused entry."""
    period = request.args.get("period") or payouts.this_month()
    try:
        statement = payouts.statement(artist, period)
    except ServiceError as exc:
        flash(translated(exc.message), "error")
        statement = payouts.statement(artist, payouts.this_month())
    return render_template(
        "payments/payouts/artist.html",
        artist=artist,
        destination=payout_destinations.destination_of(artist),
        earnings=payouts.earnings(artist),
        payouts=payouts.list_payouts(artist_id=artist.id, limit=24),
        statement=statement,
        bank_form=bank_form or {},
        two_factor_on=two_factor.is_enabled(current_user),
        needs_code=not two_factor.is_fresh(session.get(VERIFIED_AT)),
    ), status


@bp.post("/artists/<int:artist_id>/money/bank")
@login_required
def artist_bank(artist_id: int):
    artist = _managed(artist_id)
    require_payout_factor()
    try:
        require_fresh_code()
        payout_destinations.set_bank_details(
            artist,
            iban=request.form.get("iban", ""),
            account_holder=request.form.get("account_holder", ""),
            by=current_user,
        )
        flash(gettext("Bank details saved: payouts will go to this account."), "success")
    except ServiceError as exc:
        refuse(exc)
        # render, not redirect, so the manager can fix the typo instead of retyping the IBAN
        return _money_page(artist, bank_form=request.form, status=exc.status)
    return redirect(url_for("web.artist_money", artist_id=artist_id))


@bp.route("/artists/<int:artist_id>/money/stripe", methods=["POST", "GET"])
@login_required
def artist_stripe(artist_id: int):
    """Start (POST) or restart (GET: Stripe's refresh link) the Connect onboarding."""
    artist = _managed(artist_id)
    require_payout_factor()
    try:
        require_fresh_code()
        url = payout_destinations.start_stripe_onboarding(
            artist,
            by=current_user,
            refresh_url=url_for("web.artist_stripe", artist_id=artist_id, _external=True),
            return_url=url_for("web.artist_stripe_return", artist_id=artist_id, _external=True),
        )
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.artist_money", artist_id=artist_id))
    return redirect(url)


@bp.get("/artists/<int:artist_id>/money/stripe/return")
@login_required
def artist_stripe_return(artist_id: int):
    # Coming back from Stripe may take longer than a fresh code lasts; the account itself was
    # attached under a fresh code, and Stripe verified the person, so only the factor is needed.
    artist = _managed(artist_id)
    require_payout_factor()
    try:
        destination = payout_destinations.finish_stripe_onboarding(artist, by=current_user)
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.artist_money", artist_id=artist_id))
    if destination.stripe_ready:
        flash(gettext("Your Stripe account is connected: payouts will be transferred to it."), "success")
    else:
        flash(gettext("Stripe still needs some details before it can receive payouts; continue when ready."), "info")
    return redirect(url_for("web.artist_money", artist_id=artist_id))


# --- admin ----------------------------------------------------------------------------------


@bp.get("/admin/payouts")
@login_required
def admin_payouts():
    require_admin()
    require_payout_factor()
    return render_template(
        "payments/payouts/admin.html",
        runs=payouts.list_runs(),
        default_period=payouts.last_month(),
        bank_due=payouts.list_payouts(status=PayoutStatus.IN_TRANSIT, method=PayoutMethod.BANK),
        recent=payouts.list_payouts(limit=50),
        held=payout_holds.held_payouts(),
    )


@bp.post("/admin/payouts/runs")
@login_required
def admin_start_run():
    require_admin()
    require_payout_factor()
    try:
        run = payouts.create_run(request.form.get("period", ""), current_user)
        # read the id before committing: reading it after would open a new transaction
        run_id = run.id
        audit.record(current_user, "payout_run.start", "payout_run", run_id, period=run.period)
        jobs.record("payouts.run", run_id)  # committed with the run; swept up if the queue is away
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.admin_payouts"))
    commit_now("the payout run task reads the run")
    try:
        enqueue("payouts.run", run_id)
    except Exception:  # inline (immediate) queues run the task here; its failure is on the run row
        log.exception("payout run %s failed", run_id)
        db.session.rollback()
    return redirect(url_for("web.admin_payout_run", run_id=run_id))


@bp.get("/admin/payouts/runs/<int:run_id>")
@login_required
def admin_payout_run(run_id: int):
    require_admin()
    require_payout_factor()
    run = payouts.get_run(run_id)
    return render_template("payments/payouts/run.html", run=run, payouts=payouts.list_payouts(period=run.period))


@bp.get("/admin/payouts/runs/<int:run_id>/progress")
@login_required
def admin_payout_run_progress(run_id: int):
    require_admin()
    require_payout_factor()
    run = payouts.get_run(run_id)
    return jsonify(
        id=run.id,
        period=run.period,
        status=run.status.value,
        total=run.total,
        done=run.done,
        paid=run.paid,
        error=run.error,
    )


@bp.post("/admin/payouts/<int:payout_id>/paid")
@login_required
def admin_record_bank_payment(payout_id: int):
    require_admin()
    require_payout_factor()
    try:
        payout = payouts.record_bank_payment(payout_id, reference=request.form.get("reference", ""), by=current_user)
        audit.record(current_user, "payout.paid", "payout", payout_id, reference=request.form.get("reference", ""))
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.admin_payouts"))
    flash(gettext("Payout %(id)s recorded as paid.", id=payout.id), "success")
    return redirect(url_for("web.admin_payouts"))


@bp.get("/admin/payouts/bank.csv")
@login_required
def admin_bank_csv():
    require_admin()
    require_payout_factor()
    period = request.args.get("period") or None
    if period is not None:
        period = payouts.parse_period(period, ended=False).name  # also names the file: no CR/LF
    body = payouts.bank_csv(period)
    name = f"encore-bank-payouts-{period or 'all'}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _send_after_decision(payout_id: int) -> None:
    """A released (or partly voided) Stripe payout is sent like a run's: by a task, after the
    commit. A failure to queue leaves it in transit for the hourly retry."""
    commit_now("the payout task reads the released payout")
    try:
        enqueue("payouts.send", payout_id)
    except Exception:  # inline queues run the task here; its outcome is on the payout row
        log.exception("sending payout %s failed", payout_id)
        db.session.rollback()


@bp.post("/admin/payouts/<int:payout_id>/release")
@login_required
def admin_release_payout(payout_id: int):
    """A held payout looked fine to the admin: it is paid as usual."""
    require_admin()
    require_payout_factor()
    try:
        payout = payout_reviews.release(payout_id, by=current_user)
        status = payout.status
        audit.record(current_user, "payout.release", "payout", payout_id, status=status.value)
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.admin_payouts"))
    if status is PayoutStatus.IN_TRANSIT and payout.method is PayoutMethod.STRIPE:
        _send_after_decision(payout_id)
    flash(gettext("Payout %(id)s released.", id=payout_id), "success")
    return redirect(url_for("web.admin_payouts"))


@bp.post("/admin/payouts/<int:payout_id>/void")
@login_required
def admin_void_payout(payout_id: int):
    """A held payout's suspicious earnings go back to the co-op; the rest is paid if it can be."""
    require_admin()
    require_payout_factor()
    try:
        payout = payout_reviews.void(payout_id, by=current_user)
        status, method, voided = payout.status, payout.method, payout.hold.voided_credits
        audit.record(current_user, "payout.void", "payout", payout_id, voided_credits=voided, status=status.value)
    except ServiceError as exc:
        return refused_redirect(exc, url_for("web.admin_payouts"))
    if status is PayoutStatus.IN_TRANSIT and method is PayoutMethod.STRIPE:
        _send_after_decision(payout_id)
    if status is PayoutStatus.IN_TRANSIT:
        message = gettext(
            "Payout %(id)s: %(credits)s credits of suspicious earnings went back to the co-op; the rest is on its way.",
            id=payout_id,
            credits=format_credits(voided),
        )
    else:
        message = gettext(
            "Payout %(id)s: %(credits)s credits of suspicious earnings went back to the co-op;"
            " the rest waits for a later run.",
            id=payout_id,
            credits=format_credits(voided),
        )
    flash(message, "success")
    return redirect(url_for("web.admin_payouts"))
