"""Measure 1: /r/<code> under gunicorn vs a bare Flask redirect served the same way."""

from __future__ import annotations

import threading

import requests

from bench.harness import Row, gunicorn, say, server_env, wrk


def seed_code(app) -> str:
    from core.accounts import services
    from core.extensions import db

    with app.app_context():
        member = services.create_member("advocate@bench.example", None, "Bench Advocate")
        db.session.commit()
        return member.referral_code


def warm(url: str, rounds: int = 3, clients: int = 4) -> None:
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


def run(app, url: str, scale: float) -> list[Row]:
    code = seed_code(app)
    seconds = max(3, round(10 * min(scale, 1)))
    figures = {}
    for name, target in (("peerloop", "wsgi:app"), ("bare", "bench.bare:app")):
        with gunicorn(target, server_env(url)) as base:
            warm(f"{base}/r/{code}")
            wrk(f"{base}/r/{code}", 2)  # warm up both workers and their connection pools
            say(f"redirect: wrk {seconds}s against {name}")
            figures[name] = wrk(f"{base}/r/{code}", seconds)
    ours, bare = figures["peerloop"], figures["bare"]
    return [
        Row(
            measure="1. /r/<code> redirect, gunicorn -w 2",
            size=f"wrk -c16, {seconds}s",
            peerloop=ours["rps"],
            baseline=bare["rps"],
            unit="req/s",
            target="ratio ≥ 0.5, zero errors",
            met=ours["rps"] / bare["rps"] >= 0.5 and ours["errors"] == 0,
            notes=f"errors {ours['errors']}/{bare['errors']}; p99 {ours['p99']} vs {bare['p99']}",
        )
    ]
