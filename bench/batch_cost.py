"""`python -m bench.batch_cost [--runs N] [--batches N] [--reuse]`: what one Segment batch of 100
costs the serving process, in process (the test client, no HTTP, no gunicorn), on PostgreSQL: wall
and CPU milliseconds per batch, the median of N runs, each on a fresh copy of one built database
(measure 2's members) and with the same batches. Members cross the engaged and MQL thresholds
during the run as in measure 2.

Measure 2 (gunicorn, four clients, PostgreSQL, all on two cores) moves by ±20 % between runs, and
on a shared machine even this process's CPU time moves by as much within minutes. For an exact
comparison of two versions, count instructions instead (valgrind counts them the same whatever
else the machine does), at two sizes, and take the difference:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python -m bench.batch_cost --runs 1 --batches 5 --reuse      # then --batches 45
    # (I refs at 45 - I refs at 5) / 40 = instructions per batch

To measure an older commit, run this file from a worktree of it (`git worktree add /tmp/old
<commit>`, copy this file into its bench/, run it there, one invocation at a time: both use the
bench database)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from base64 import b64encode

from sqlalchemy.engine import make_url

from bench.harness import admin_engine, database_url, drop_and_create, make_app, recreate_database, say
from bench.ingestion import build, make_batches
from bench.populate import staff_token

PEOPLE, WARM = 10_000, 10


def template_of(url: str) -> str:
    return f"{make_url(url).database}_batch_cost"


def build_template(url: str) -> None:
    """A database with the bench's members (measure 2's), built once and copied for each run."""
    template = make_url(url).set(database=template_of(url)).render_as_string(hide_password=False)
    recreate_database(template)
    build(template, PEOPLE)


def template_exists(url: str) -> bool:
    admin = admin_engine(url)
    try:
        with admin.connect() as connection:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            return connection.exec_driver_sql(query, (template_of(url),)).first() is not None
    finally:
        admin.dispose()


def release(app) -> None:
    from core.extensions import db

    with app.app_context():
        db.engine.dispose()


def one_run(url: str, bodies: list[str]) -> tuple[float, float]:
    admin = admin_engine(url)
    try:
        drop_and_create(admin, make_url(url).database, template_of(url))
    finally:
        admin.dispose()
    app = make_app(url)
    token = staff_token(app, "batch-cost@bench.example", "marketer", ["ingest"])
    client = app.test_client()
    headers = {"Authorization": "Basic " + b64encode(f"{token}:".encode()).decode(), "Content-Type": "application/json"}
    for body in bodies[:WARM]:
        assert client.post("/api/v1/segment/v1/batch", data=body, headers=headers).status_code == 200
    wall, cpu = time.perf_counter(), time.process_time()
    for body in bodies[WARM:]:
        assert client.post("/api/v1/segment/v1/batch", data=body, headers=headers).status_code == 200
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    release(app)
    measured = len(bodies) - WARM
    return wall / measured * 1000, cpu / measured * 1000


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=positive, default=5)
    parser.add_argument("--batches", type=positive, default=200, help="batches measured per run (after 10 to warm up)")
    parser.add_argument("--reuse", action="store_true", help="keep the members built by an earlier invocation")
    args = parser.parse_args(argv)
    url = database_url()
    if not (args.reuse and template_exists(url)):
        say(f"batch cost: building {PEOPLE:,} members once")
        build_template(url)
    bodies = [json.dumps({"batch": batch}) for batch in make_batches(WARM + args.batches, PEOPLE, 7)]
    runs = []
    for run in range(args.runs):
        runs.append(one_run(url, bodies))
        say(f"batch cost: run {run + 1}: {runs[-1][0]:.2f} ms wall, {runs[-1][1]:.2f} ms CPU per batch")
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(f"per batch of 100 (median of {args.runs} runs): {wall:.2f} ms wall, {cpu:.2f} ms CPU of the serving process")


if __name__ == "__main__":
    main()
