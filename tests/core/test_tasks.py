"""enqueue_after_commit: tasks leave with the real commit, never with a released SAVEPOINT, and a
rolled-back SAVEPOINT drops only the tasks asked for inside it."""

import pytest
from celery import shared_task

from core.extensions import db
from core.tasks import enqueue_after_commit, enqueue_once_after_commit
from tests.factories import MemberFactory

SEEN: list = []


@shared_task(name="tests.record_call")
def record_call(label: str) -> None:
    SEEN.append(label)


@pytest.fixture
def seen(app_ctx):
    SEEN.clear()
    yield SEEN
    SEEN.clear()


def test_a_released_savepoint_sends_nothing_the_commit_sends_all(seen):
    enqueue_after_commit("tests.record_call", "before")
    with db.session.begin_nested():
        enqueue_after_commit("tests.record_call", "inside")
    assert seen == []  # the savepoint's release is no commit
    db.session.commit()
    assert seen == ["before", "inside"]


def test_a_rolled_back_savepoint_drops_only_its_own_tasks(seen):
    enqueue_after_commit("tests.record_call", "kept")
    outer = db.session.begin_nested()
    enqueue_after_commit("tests.record_call", "outer savepoint")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        enqueue_after_commit("tests.record_call", "dropped")
        raise RuntimeError
    outer.commit()
    db.session.commit()
    assert seen == ["kept", "outer savepoint"]


def test_rolling_back_an_outer_savepoint_drops_what_its_inner_ones_asked_for(seen):
    enqueue_after_commit("tests.record_call", "kept")
    outer = db.session.begin_nested()
    with db.session.begin_nested():
        enqueue_after_commit("tests.record_call", "inner, released")
    outer.rollback()
    db.session.commit()
    assert seen == ["kept"]


def test_a_rollback_drops_everything(seen):
    db.session.add(MemberFactory.build())
    db.session.flush()
    enqueue_after_commit("tests.record_call", "gone")
    db.session.rollback()
    db.session.commit()
    assert seen == []


def test_once_means_once_per_commit_for_the_same_call(seen):
    for label in ("a", "b", "a", "a"):
        enqueue_once_after_commit("tests.record_call", label)
    enqueue_after_commit("tests.record_call", "a")  # the plain kind always adds
    db.session.commit()
    assert seen == ["a", "b", "a"]
    enqueue_once_after_commit("tests.record_call", "a")
    db.session.commit()
    assert seen == ["a", "b", "a", "a"]  # a new transaction may ask again


def test_once_inside_a_savepoint_that_rolls_back_does_not_hide_the_outer_call(seen):
    db.session.add(MemberFactory.build())
    db.session.flush()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        enqueue_once_after_commit("tests.record_call", "x")
        raise RuntimeError
    enqueue_once_after_commit("tests.record_call", "x")
    db.session.commit()
    assert seen == ["x"]
