"""Sharing: link previews (Open Graph, Twitter cards), embeddable players and oEmbed."""
