"""How admin things look in JSON: users as admins see them, audit entries, reports, orders."""

from __future__ import annotations

import json

from app.accounts.representations import session_json, user_json
from app.admin.models import AuditEntry, ContentReport
from app.admin.services import moderation
from app.catalog.models import Release, Track
from app.core.representations import money
from app.payments.models import Order
from app.payments.representations import play_json
from app.payments.services.refunds import refundable_cents


def _at(value):
    return value.isoformat() if value else None


def admin_user_json(user) -> dict:
    return user_json(user) | {
        "created_at": _at(user.created_at),
        "deleted": user.deleted_at is not None,
        "suspended": user.suspended_at is not None,
        "suspended_at": _at(user.suspended_at),
        "suspension_reason": user.suspension_reason,
    }


def order_json(order: Order) -> dict:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "kind": order.kind.value,
        "status": order.status.value,
        "provider": order.provider.value,
        "credits": money(order.credits),
        "amount_cents": order.amount_cents,
        "currency": order.currency,
        "refunded_cents": order.refunded_cents,
        "refundable_cents": refundable_cents(order),
        "created_at": _at(order.created_at),
        "paid_at": _at(order.paid_at),
    }


def user_file_json(file) -> dict:
    return {
        "user": admin_user_json(file.user),
        "balance": money(file.balance),
        "plays": [play_json(record, track) for record, track in file.plays],
        "orders": [order_json(o) for o in file.orders],
        "sessions": [session_json(s, current=False) for s in file.sessions],
    }


def item_json(item: Track | Release) -> dict:
    return {
        "type": moderation.kind_of(item),
        "id": item.id,
        "title": item.title,
        "hidden": item.hidden_at is not None,
        "hidden_at": _at(item.hidden_at),
        "hidden_reason": item.hidden_reason,
        "takedown": item.hidden_takedown,
    }


def report_json(report: ContentReport) -> dict:
    return {
        "id": report.id,
        "item": item_json(moderation.report_item(report)),
        "reporter_id": report.reporter_id,
        "reason": report.reason,
        "created_at": _at(report.created_at),
        "status": report.status,
        "resolved_by_id": report.resolved_by_id,
        "resolved_at": _at(report.resolved_at),
        "resolution_note": report.resolution_note,
    }


def audit_json(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": _at(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "reason": entry.reason,
        "details": json.loads(entry.details or "{}"),
    }
