"""The month's books separate prices decided from prices in force: a version decided but not
yet in force is never listed as enacted (page, JSON and CSV)."""

import csv
import io
from datetime import datetime, timedelta, timezone

from app.core.extensions import db
from app.governance.services import closing, voting
from tests.factories import make_member, make_proposal


def test_a_decided_version_not_yet_in_force_is_not_listed_as_enacted(client, app_ctx):
    now = datetime.now(timezone.utc)
    proposal = make_proposal(open_at=now - timedelta(days=3), voting_days=2, title="Cheaper first plays")
    for voter in [make_member(at=now - timedelta(days=10)) for _ in range(3)]:
        voting.cast_vote(proposal, voter, "yes", now=now - timedelta(days=2))
    db.session.commit()
    [closed] = closing.close_due_proposals(now)
    db.session.commit()
    assert closed.passed and closed.effective_from > now  # in force from the next 00:00 UTC

    period = now.strftime("%Y-%m")
    books = client.get(f"/api/v1/transparency/{period}").json["books"]
    assert books["pricing_changes"] == []  # not in force: not "enacted"
    [decided] = books["pricing_decided"]
    assert decided["proposal_id"] == closed.proposal_id and decided["in_force"] is False
    assert decided["effective_from"] == closed.effective_from.isoformat()
    assert books["pricing_in_force"]["effective_from"] != decided["effective_from"]

    rows = list(csv.reader(io.StringIO(client.get(f"/transparency/{period}.csv").get_data(as_text=True))))
    assert [r for r in rows if r[:2] == ["pricing", "enacted"]] == []
    [row] = [r for r in rows if r[:2] == ["pricing", "decided"]]
    assert row[3].startswith("not in force until ")

    page = client.get(f"/transparency/{period}").get_data(as_text=True)
    decided_list = page[page.index('id="pricing-decided"') : page.index('id="pricing-changes"')]
    assert "Cheaper first plays" in decided_list and "not in force yet" in decided_list
    assert "Cheaper first plays" not in page[page.index('id="pricing-changes"') :]
