"""Deferred work is an outbox row of the request's own transaction, sent after the commit, swept
up again when sending failed; without a broker it runs on a background thread."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.accounts import services as accounts
from core.accounts.models import ErasureAddress, Member
from core.extensions import db
from core.models import utcnow
from core.outbox import dispatch
from core.outbox import services as outbox
from core.outbox.models import OutboxTask
from core.tasks import enqueue_after_commit
from tests.conftest import wait_until
from tests.factories import MemberFactory

ERASE = "core.erase_member_content"


def rows() -> list[OutboxTask]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxTask).order_by(OutboxTask.id)))


def content_erased(member_id: int):
    db.session.expire_all()
    return db.session.get(Member, member_id).content_erased_at


def test_deferred_work_is_written_with_the_transaction_and_sent_after_it(app_ctx):
    member = MemberFactory()
    accounts.erase_member(member)
    [row] = rows()
    assert (row.task_name, row.args[0], row.sent_at) == (ERASE, member.id, None)
    assert content_erased(member.id) is None  # nothing ran before the commit
    db.session.commit()
    [row] = rows()
    assert row.sent_at is not None and row.attempts == 1
    assert (row.args, row.kwargs) == ([], {})  # the erased address does not stay behind
    assert content_erased(member.id) is not None


def test_an_erasure_defers_ids_only_and_holds_the_address_until_its_work_is_done(app_ctx):
    member = MemberFactory(email="Leaving@Example.com")
    accounts.erase_member(member)
    [row] = rows()
    assert (row.args, row.kwargs) == ([member.id], {})  # no address waits in the outbox or the broker
    assert db.session.get(ErasureAddress, member.id).email == "leaving@example.com"
    db.session.commit()
    assert content_erased(member.id) is not None
    assert db.session.get(ErasureAddress, member.id) is None


def test_a_rollback_takes_the_deferred_work_with_it(app_ctx):
    member = MemberFactory()
    db.session.commit()
    accounts.erase_member(member)
    db.session.rollback()
    assert rows() == [] and content_erased(member.id) is None


def test_work_deferred_outside_a_rolled_back_savepoint_is_still_sent(app_ctx):
    member, other = MemberFactory(), MemberFactory()
    db.session.commit()
    enqueue_after_commit(ERASE, member.id)
    with pytest.raises(RuntimeError), db.session.begin_nested():
        enqueue_after_commit(ERASE, other.id)
        raise RuntimeError("the savepoint fails")
    db.session.commit()
    [row] = rows()  # the savepoint's row went with it
    assert row.task_name == ERASE and row.sent_at is not None


def test_with_the_broker_down_erasure_answers_204_and_completes_once_it_is_back(app, auth, broker_outage):
    client = auth.client("member")
    assert client.delete("/api/v1/me").status_code == 204
    with app.app_context():
        [row] = rows()
        assert (row.sent_at, row.attempts, row.last_error) == (None, 1, "broker unavailable")
        assert content_erased(client.member.id) is None
        assert db.session.get(Member, client.member.id).erased_at is not None  # the request's own work is saved
    broker_outage.up()
    assert dispatch.sweep(app) == 1
    with app.app_context():
        assert rows()[0].sent_at is not None
        assert content_erased(client.member.id) is not None


def test_the_sweep_takes_due_rows_only(app, app_ctx):
    member = MemberFactory()
    fresh = outbox.add_task(ERASE, (member.id,), {})  # not handed over: as if its process died
    db.session.commit()
    assert dispatch.sweep(app) == 0  # still within the grace of its after-commit send
    fresh.available_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert dispatch.sweep(app) == 1
    assert content_erased(member.id) is not None
    assert dispatch.sweep(app) == 0  # sent rows are never sent again


def test_a_claimed_row_is_nobody_elses(app_ctx):
    row = outbox.add_task(ERASE, (1,), {})
    due = outbox.add_task(ERASE, (2,), {})
    db.session.flush()
    due.available_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert [claimed.id for claimed in outbox.claim([row.id])] == [row.id]
    assert outbox.claim([row.id]) == []  # a second after-commit send of the same row
    assert [claimed.id for claimed in outbox.claim()] == [due.id]  # the sweep: not the claimed row
    assert outbox.claim([due.id]) == [] and outbox.claim() == []


def test_sent_rows_are_forgotten_after_a_week_pending_ones_never(app_ctx):
    old, pending = outbox.add_task(ERASE, (1,), {}), outbox.add_task(ERASE, (2,), {})
    db.session.flush()
    old.sent_at = utcnow() - timedelta(days=8)
    pending.created_at = utcnow() - timedelta(days=30)
    db.session.flush()
    assert outbox.purge_sent(before=utcnow() - dispatch.KEEP_SENT) == 1
    assert [row.id for row in rows()] == [pending.id]


def test_the_sweep_is_a_periodic_celery_task(app):
    celery_app = app.extensions["celery"]
    assert "core.sweep_outbox" in celery_app.tasks
    schedule = {entry["task"]: entry for entry in celery_app.conf.beat_schedule.values()}
    assert schedule["core.sweep_outbox"]["schedule"] == float(app.config["OUTBOX_SWEEP_SECONDS"])


@pytest.mark.live
def test_without_a_broker_deferred_work_runs_on_a_background_thread(app, auth, background_outbox):
    client = auth.client("member")
    assert client.delete("/api/v1/me").status_code == 204
    dispatch.background_runner(app).wait_idle()
    with app.app_context():
        assert content_erased(client.member.id) is not None
        assert rows()[0].sent_at is not None


@pytest.mark.live
def test_the_background_thread_sweeps_up_what_a_dead_process_left(app, background_outbox):
    with app.app_context():
        member = MemberFactory()
        outbox.add_task(ERASE, (member.id,), {}).available_at = utcnow() - timedelta(minutes=1)
        db.session.commit()  # written, never handed over
        member_id = member.id
    dispatch.background_runner(app)  # as a serving process starts it at its first request

    def erased():
        with app.app_context():
            return content_erased(member_id)

    assert wait_until(erased) is not None
