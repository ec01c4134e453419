"""Admin use cases. Each one changes state through the owning domain's services and writes one
audit entry (``audit.record``) in the same transaction."""
