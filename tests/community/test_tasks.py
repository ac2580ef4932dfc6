"""Community Celery tasks, called directly (in-process) and through the API that enqueues them."""

import pytest
import sqlalchemy as sa

from community.models import Post, Thread
from community.services import reactions, threads
from community.tasks import reconcile_thread_counters
from core.extensions import db
from core.models import utcnow
from tests.community.conftest import API, new_reply, new_thread
from tests.community.factories import PostFactory, ThreadFactory
from tests.factories import MemberFactory


@pytest.mark.usefixtures("app_ctx")
def test_reconcile_recounts_from_the_rows_and_is_idempotent():
    thread = ThreadFactory()
    kept, gone = PostFactory(thread=thread), PostFactory(thread=thread)
    for post in (kept, gone):
        reactions.add_reaction(post, MemberFactory(), "like")
    gone.deleted_at = utcnow()
    thread.reaction_count = thread.reply_count = thread.score = 99  # drifted
    db.session.commit()
    for _ in range(2):
        reconcile_thread_counters(thread.id)
        db.session.expire_all()
        stored = db.session.get(Thread, thread.id)
        assert (stored.reply_count, stored.reaction_count, stored.score) == (1, 1, 1 + 2)


@pytest.mark.usefixtures("app_ctx")
def test_reconcile_of_a_missing_thread_does_nothing():
    other = ThreadFactory(reply_count=5, reaction_count=4, score=14)
    db.session.commit()
    reconcile_thread_counters(424242)  # no row, no error, no other thread touched
    db.session.expire_all()
    assert db.session.get(Thread, 424242) is None
    stored = db.session.get(Thread, other.id)
    assert (stored.reply_count, stored.reaction_count, stored.score) == (5, 4, 14)


def test_deleting_a_reacted_reply_updates_the_thread_after_commit(auth, client, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    reply = new_reply(author, thread["id"])
    auth.client("member").put(f"{API}/posts/{reply['id']}/reactions/insightful")
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["reaction_count"] == 1
    assert author.delete(f"{API}/posts/{reply['id']}").status_code == 204
    after = client.get(f"{API}/threads/{thread['id']}").get_json()
    assert (after["reply_count"], after["reaction_count"], after["score"]) == (0, 0, 0)


@pytest.mark.live
def test_reconcile_runs_on_a_real_worker(app, broker, create):
    """Deleting a reacted-to reply enqueues the recount after commit; a real Celery worker runs it."""
    from tests.conftest import wait_until

    thread = create(ThreadFactory)
    reply = create(PostFactory, thread=thread)
    with app.app_context():
        post = db.session.get(Post, reply.id)
        reactions.add_reaction(post, MemberFactory(), "helpful")
        db.session.commit()
        post = db.session.get(Post, reply.id)
        threads.delete_post(post, post.author)
        db.session.execute(sa.update(Thread).where(Thread.id == thread.id).values(reaction_count=7))  # drift
        db.session.commit()

    def reconciled():
        with app.app_context():
            return db.session.get(Thread, thread.id).reaction_count == 0

    assert wait_until(reconciled)
