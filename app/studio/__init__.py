"""The artist studio: managers edit their artists' releases, tracks and profile, and invite
other people to manage an artist."""
