"""``flask demo ...``: seed the demo co-op, or synthesize a large one for benchmarks."""

from __future__ import annotations

import time

import click

from app.core.extensions import db

demo_cli = click.Group("demo", help="The demo co-op.")


@demo_cli.command("seed")
def seed_command():
    """Seed the demo co-op once; later calls only print the logins."""
    from app.demo import seed as demo

    if demo.is_seeded():
        click.echo("The demo co-op is already seeded.")
    else:
        demo.seed_demo()
        db.session.commit()
        click.echo("Seeded the demo co-op.")
    click.echo(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
    for who, email in demo.demo_logins():
        click.echo(f"  {who:<28} {email}")


@demo_cli.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--audio-seconds", type=click.FloatRange(1, 600), default=None, hidden=True)  # tests: short songs
def reset_command(yes, audio_seconds):
    """Start the demo over: empty the database and the object store, migrate, seed.

    For a development co-op only (refused when ENCORE_ENV_NAME is production). Stop
    `make run` first: its server and worker hold the tables this drops.
    """
    from flask import current_app

    from app.demo import reset as demo_reset

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("`flask demo reset` erases everything; it refuses to run in production.")
    if not yes:
        click.confirm(
            f"This erases every account, track and credit in {demo_reset.describe_database()} "
            "and every file in the object store, then seeds the demo co-op again. Go on?",
            abort=True,
        )
    click.echo("Emptying the database and the object store...")
    demo_reset.erase_everything()
    click.echo("Migrating and seeding (a minute: the demo's music is synthesized and processed)...")
    demo_reset.migrate_and_seed(audio_seconds=audio_seconds)
    click.echo("The demo co-op is as new.")


@demo_cli.command("synthesize")
@click.option("--listeners", type=click.IntRange(1), default=1_000, show_default=True)
@click.option("--tracks", type=click.IntRange(1), default=5_000, show_default=True)
@click.option("--plays", type=click.IntRange(0), default=100_000, show_default=True)
@click.option("--artists", type=click.IntRange(1), default=None, help="default: one per 10 tracks")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=180,
    show_default=True,
    help="spread the plays over this many days up to now",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--rollups/--no-rollups", "build_rollups", default=True, show_default=True, help="build the rollups afterwards"
)
def synthesize_command(listeners, tracks, plays, artists, days, seed, build_rollups):
    """Fill an empty database with a synthetic co-op (Zipf-popular artists, months of plays)."""
    from app.analytics.services import rollups as rollups_service
    from app.demo import synthesize

    options = synthesize.Options(listeners=listeners, tracks=tracks, plays=plays, artists=artists, days=days, seed=seed)
    try:
        report = synthesize.synthesize(options, progress=lambda line: click.echo(f"  {line}", err=True))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for table, count in sorted(report.counts.items()):
        click.echo(f"{table}: {count:,} rows")
    seconds = report.seconds
    click.echo(
        f"generated in {seconds['total']:.1f} s (rows {seconds.get('rows', 0):.1f} s, "
        f"indexes {seconds.get('indexes', 0):.1f} s)"
    )
    if build_rollups:
        started = time.monotonic()
        total = rollups_service.rebuild(
            progress=lambda line: click.echo(f"  rollups: {line}", err=True), checkpoint=db.session.commit
        )
        click.echo(
            f"rollups built up to play #{total.plays:,} and transfer #{total.transfers:,} in "
            f"{time.monotonic() - started:.1f} s"
        )
    size = synthesize.database_size()
    if size is not None:
        click.echo(f"database size: {size / 2**20:,.0f} MiB")


COMMANDS = [demo_cli]
