"""The payments pages: orders and checkout, payouts, the wallet."""
