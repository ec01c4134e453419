"""The catalog's pages in French (issue 17): a French browser gets French words, and dates and
credits written the French way; an English browser keeps the English."""

from datetime import date

from tests.factories import make_release, make_track

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def test_a_french_browser_gets_the_release_page_in_french(client, app_ctx):
    release = make_release(title="Marée basse", kind="single", release_date=date(2026, 3, 1))
    make_track(release=release)

    page = client.get(f"/releases/{release.id}", headers=FRENCH).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "SINGLE · 1 mars 2026" in page  # the kind's name and the locale's date
    assert "<strong>Écouter pour posséder :</strong> première écoute 0,002 crédits" in page
    assert "Stream to own" not in page and "2026-03-01" not in page

    page = client.get(f"/releases/{release.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "SINGLE · Mar 1, 2026" in page and "<strong>Stream to own:</strong> first play 0.002 credits" in page


def test_a_french_browser_gets_the_home_and_search_pages_in_french(client, app_ctx):
    page = client.get("/", headers=FRENCH).get_data(as_text=True)
    assert "Nouvelles sorties" in page and "70 % de chaque paiement revient à l’artiste." in page
    page = client.get("/search?q=zzzz", headers=FRENCH).get_data(as_text=True)
    assert "Rien ne correspond à « zzzz »." in page
