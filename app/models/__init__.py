"""SQLAlchemy models of the web layer, one module per domain.

Importing this package registers every model on ``db.metadata`` (Alembic relies on it).
"""

from sqlalchemy import MetaData

from app.extensions import db
import ledger.schema
from app.models.accounts import (
    AccountSession,
    AccountToken,
    AccountTokenPurpose,
    ApiToken,
    ArtistMember,
    Role,
    User,
)
from app.models.catalog import Artist, Release, ReleaseKind, Track, TrackStatus
from app.models.audio import TrackAudio
from app.models.governance import (
    Ballot,
    Choice,
    MemberClass,
    Membership,
    MembershipSource,
    Proposal,
    ProposalStatus,
)
from app.models.mail import OutboxMessage
from app.models.payments import (
    Order,
    OrderKind,
    OrderStatus,
    PaymentEvent,
    PaymentProvider,
    Payout,
    PayoutDestination,
    PayoutMethod,
    PayoutRun,
    PayoutRunStatus,
    PayoutStatus,
    Receivable,
)
from app.models.streaming import Play, PreviewPlay
from app.models import analytics  # noqa: F401  (registers the rollup tables)

__all__ = [
    "AccountSession",
    "AccountToken",
    "AccountTokenPurpose",
    "ApiToken",
    "Artist",
    "ArtistMember",
    "Ballot",
    "Choice",
    "MemberClass",
    "Membership",
    "MembershipSource",
    "Order",
    "OrderKind",
    "OrderStatus",
    "OutboxMessage",
    "PaymentEvent",
    "PaymentProvider",
    "Payout",
    "PayoutDestination",
    "PayoutMethod",
    "PayoutRun",
    "PayoutRunStatus",
    "PayoutStatus",
    "Receivable",
    "Play",
    "PreviewPlay",
    "Proposal",
    "ProposalStatus",
    "Release",
    "ReleaseKind",
    "Role",
    "Track",
    "TrackAudio",
    "TrackStatus",
    "User",
]


def all_metadata() -> list[MetaData]:
    """Every MetaData that migrations cover: the web layer's and the ledger's."""
    return [db.metadata, ledger.schema.metadata]
