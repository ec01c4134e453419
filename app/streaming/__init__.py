"""Streaming: play sessions and their metering, the player's API, listening history, collection."""
