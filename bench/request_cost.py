"""`python -m bench.request_cost {ingest,list} [--runs N] [--requests N] [--reuse]`: what one request
costs the serving process, in process (the test client, no HTTP, no gunicorn), on PostgreSQL: wall
and CPU milliseconds per request, the median of N runs, each on a fresh copy of one built database
and with the same requests.

- `ingest`: a Segment batch of 100 track events (measure 2's members and batches); members cross
  the engaged and MQL thresholds during the run as in measure 2.
- `list`: the top-100 leads by score (measure 4's request) over 100,000 members.

Measures 2 and 4 move by ±20 % between runs on a two-core machine shared with PostgreSQL and the
clients, and on a shared machine even this process's CPU time moves by as much within minutes. For
an exact comparison of two versions, count instructions instead (valgrind counts them the same
whatever else the machine does), at two run lengths, and take the difference:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python -m bench.request_cost ingest --runs 1 --requests 5 --reuse      # then --requests 45
    # (I refs at 45 - I refs at 5) / 40 = instructions per request

To measure an older commit, run this file from a worktree of it (`git worktree add /tmp/old
<commit>`, copy this file into its bench/, run it there), one invocation at a time: all use the
bench database."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bench import ingestion, top_leads
from bench.harness import admin_engine, database_url, drop_and_create, make_app, recreate_database, release, say
from bench.populate import staff_token

WARM = 10


@dataclass(frozen=True)
class Workload:
    """What a run builds once, who sends the requests, and the n requests (method, path, body)."""

    build: Callable[[str], None]
    role: str
    scope: str
    requests: Callable[[int], list[tuple[str, str, str | None]]]

    def headers(self, token: str) -> dict:
        if self.scope == "ingest":  # Segment's clients send the write key as HTTP Basic's username
            return {"Authorization": "Basic " + b64encode(f"{token}:".encode()).decode()}
        return {"Authorization": f"Bearer {token}"}


def top_100_lists(n: int) -> list[tuple[str, str, str | None]]:
    return [("GET", top_leads.PATH, None)] * n


def segment_batches(n: int) -> list[tuple[str, str, str | None]]:
    batches = ingestion.make_batches(n, 10_000, 7)
    return [("POST", "/api/v1/segment/v1/batch", json.dumps({"batch": batch})) for batch in batches]


WORKLOADS = {
    "ingest": Workload(lambda url: ingestion.build(url, 10_000), "marketer", "ingest", segment_batches),
    "list": Workload(lambda url: top_leads.build(url, 100_000), "sales", "read", top_100_lists),
}


def template_of(url: str, name: str) -> str:
    return f"{make_url(url).database}_cost_{name}"


def build_template(url: str, name: str) -> None:
    template = make_url(url).set(database=template_of(url, name)).render_as_string(hide_password=False)
    recreate_database(template)
    WORKLOADS[name].build(template)


def template_exists(url: str, name: str) -> bool:
    admin = admin_engine(url)
    try:
        with admin.connect() as connection:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            return connection.exec_driver_sql(query, (template_of(url, name),)).first() is not None
    finally:
        admin.dispose()


def one_run(url: str, name: str, requests: list) -> tuple[float, float]:
    """(wall ms, CPU ms) per request after the first WARM, on a fresh copy of the built database."""
    workload = WORKLOADS[name]
    admin = admin_engine(url)
    try:
        drop_and_create(admin, make_url(url).database, template_of(url, name))
    finally:
        admin.dispose()
    app = make_app(url)
    token = staff_token(app, "request-cost@bench.example", workload.role, [workload.scope])
    client, headers = app.test_client(), workload.headers(token)

    def send(method: str, path: str, body: str | None) -> None:
        response = client.open(path, method=method, data=body, headers=headers, content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    for request in requests[:WARM]:
        send(*request)
    wall, cpu = time.perf_counter(), time.process_time()
    for request in requests[WARM:]:
        send(*request)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    release(app)
    measured = len(requests) - WARM
    return wall / measured * 1000, cpu / measured * 1000


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--runs", type=positive, default=5)
    parser.add_argument(
        "--requests", type=positive, default=200, help="requests measured per run (after 10 to warm up)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier invocation")
    args = parser.parse_args(argv)
    url = database_url()
    if not (args.reuse and template_exists(url, args.workload)):
        say(f"request cost: building the {args.workload} database once")
        build_template(url, args.workload)
    requests = WORKLOADS[args.workload].requests(WARM + args.requests)
    runs = []
    for run in range(args.runs):
        runs.append(one_run(url, args.workload, requests))
        say(f"request cost: run {run + 1}: {runs[-1][0]:.2f} ms wall, {runs[-1][1]:.2f} ms CPU per request")
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(
        f"{args.workload}: per request (median of {args.runs} runs): {wall:.2f} ms wall, "
        f"{cpu:.2f} ms CPU of the serving process"
    )


if __name__ == "__main__":
    main()
