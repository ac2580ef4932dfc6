"""Measure 1: /r/<code> under gunicorn vs a bare Flask redirect served the same way."""

from __future__ import annotations

import tempfile
import threading
from contextlib import ExitStack

import requests
import sqlalchemy as sa

from bench.harness import Row, gunicorn, say, server_env, wrk


def seed_code(app) -> str:
    from core.accounts import services
    from core.extensions import db

    with app.app_context():
        member = services.create_member("advocate@bench.example", None, "Bench Advocate")
        db.session.commit()
        return member.referral_code


WARM_ROUNDS, WARM_CLIENTS = 3, 4


def stored_clicks(app, spool_dir: str) -> int:
    """Store what the stopped servers left in the spool, then count every stored redirect."""
    from core.extensions import db
    from referrals.models import Click
    from referrals.services.draining import drain_spool

    app.config["REFERRAL_CLICK_SPOOL_DIR"] = spool_dir
    with app.app_context():
        drain_spool()
        return int(db.session.scalar(sa.select(sa.func.sum(Click.hits))))


def warm(url: str, rounds: int = WARM_ROUNDS, clients: int = WARM_CLIENTS) -> None:
    """A worker's first request loads lazily built state (user-agent regexes, the connection
    pool) and can take seconds on a busy machine: wait for it, so wrk's timeouts never see it."""

    def hit() -> None:
        for _ in range(rounds):
            requests.get(url, allow_redirects=False, timeout=120)

    threads = [threading.Thread(target=hit) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


ROUNDS = 3
VARIANTS = (
    ("peerloop", "wsgi:app", {}),
    ("bare", "bench.bare:app", {}),
)


def run(app, url: str, scale: float) -> list[Row]:
    code = seed_code(app)
    seconds = max(2, round(5 * min(scale, 1)))
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in VARIANTS}
    spool = tempfile.TemporaryDirectory(prefix="peerloop-bench-spool-")
    answered = 0
    with spool, ExitStack() as stack:
        bases = {
            name: stack.enter_context(gunicorn(target, server_env(url, REFERRAL_CLICK_SPOOL_DIR=spool.name, **extra)))
            for name, target, extra in VARIANTS
        }
        for name, base in bases.items():
            warm(f"{base}/r/{code}")
            warmed = wrk(f"{base}/r/{code}", 2)  # warm up both workers and their connection pools
            answered += (WARM_ROUNDS * WARM_CLIENTS + warmed["requests"]) if name == "peerloop" else 0
        # All servers are up at once and take turns, so a burst of load elsewhere hits them alike.
        for round_ in range(ROUNDS):
            for name, base in bases.items():
                say(f"redirect: round {round_ + 1}/{ROUNDS}, wrk {seconds}s against {name}")
                runs[name].append(wrk(f"{base}/r/{code}", seconds))
        stack.close()  # the servers stop; what their drainers had not stored yet is still spooled
        stored = stored_clicks(app, spool.name)
    answered += sum(r["requests"] for r in runs["peerloop"])
    figures = {name: combined(results) for name, results in runs.items()}
    bare = figures["bare"]
    return [
        Row(
            measure="1. /r/<code> redirect, gunicorn -w 2" + ("" if name == "peerloop" else f" ({name[10:]})"),
            size=f"wrk -c16, {ROUNDS}×{seconds}s",
            peerloop=ours["rps"],
            baseline=bare["rps"],
            unit="req/s",
            target="ratio ≥ 0.5, zero errors",
            met=ours["rps"] / bare["rps"] >= 0.5 and ours["errors"] == 0,
            notes=(
                f"errors {ours['errors']}/{bare['errors']}; p99 {ours['p99']} vs {bare['p99']}; "
                f"rounds {ours['rounds']} vs {bare['rounds']} req/s; {stored:,} clicks stored for "
                f"{answered:,} redirects wrk and the warm-up counted (wrk counts no request still in flight at its end)"
            ),
            extra={"clicks_stored": stored, "redirects_counted": answered},
        )
        for name, ours in figures.items()
        if name != "bare"
    ]


def combined(results: list[dict]) -> dict:
    """Rounds of equal length: mean req/s, all errors, each round's p99."""
    return {
        "rps": sum(r["rps"] for r in results) / len(results),
        "errors": sum(r["errors"] for r in results),
        "p99": "/".join(str(r["p99"]) for r in results),
        "rounds": "/".join(f"{r['rps']:.0f}" for r in results),
    }
