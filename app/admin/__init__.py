"""The co-op's administration: users (roles, suspensions), catalogue moderation (hidden items,
reports), refunds, and the append-only audit log of every admin action."""
