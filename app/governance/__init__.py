"""Governance: membership, proposals, voting, closing, and the pricing versions members enact."""
