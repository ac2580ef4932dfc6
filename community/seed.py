"""Demo data for community: categories, ~30 threads with replies and reactions, products with recommendations
given over six months, and the voice of the customer: ratings of the help, a few unhappy customers, a
staff response, a mention."""

from __future__ import annotations

from datetime import timedelta

from community.models import REACTION_KINDS
from community.services import feedback, moderation, products, reactions, responses, threads
from core.models import utcnow

CATEGORIES = [
    ("getting-started", "Getting started", "Set-up, first steps, accounts."),
    ("troubleshooting", "Troubleshooting", "Something does not work? Ask here."),
    ("ideas", "Ideas & feedback", "What should we build next?"),
    ("show-and-tell", "Show and tell", "Your set-ups, photos and stories."),
]
# name, description, typical recommendation scores (so each product's NPS tells a different story)
PRODUCTS = [
    ("Aurora Headphones", "Wireless noise-cancelling headphones.", [10, 10, 9, 9, 9, 8, 7, 10, 6]),
    ("Nimbus Speaker", "Portable speaker with a 20-hour battery.", [9, 8, 8, 7, 7, 6, 9, 5]),
    ("Pulse Earbuds", "Sport earbuds.", [3, 5, 6, 7, 2, 9, 4]),
    ("Halo Charging Dock", "Charges three devices at once.", [10, 9, 9, 9, 8]),
    ("Echo Studio Mic", "USB microphone for calls and podcasts.", [8, 7, 9, 6, 10, 7]),
]
TOPICS = ["pairing", "battery life", "firmware update", "the app", "noise cancelling", "charging", "sound quality"]
TITLES = [
    "How do I fix {topic} on the {product}?",
    "Tips for {topic} with the {product}",
    "{product}: is {topic} worth it?",
    "Problem with {topic} after a week",
    "Feature request: better {topic}",
]
REPLIES = [
    "Same here. A **reset** (hold the button for 10 seconds) fixed it for me.",
    "Have you tried the latest firmware? See the [release notes](https://brand.example/releases).",
    "Works fine for me; which phone do you use?",
    "I wrote up my set-up:\n\n- update the app\n- re-pair\n- restart",
    "Support told me a fix is coming next month.",
    "+1, would love this too.",
]
THREADS = 30
RECOMMENDATIONS_OVER_DAYS = 180  # NPS over time needs months of scores
RATED_SHARE = 0.6  # of the threads that got an answer, how many their authors rate
RATINGS = [(5, 7), (5, 6), (4, 6), (4, 5), (5, 5), (3, 4), (4, 7), (2, 3)]  # (csat, ces), mostly happy
UNHAPPY = 3  # customers whose latest ratings and scores are bad: the demo's customers at risk


def seed_demo(context: dict, progress) -> None:
    rng, members = context["rng"], context["members"]
    categories = [threads.create_category(None, slug, name, description) for slug, name, description in CATEGORIES]
    catalogue = seed_products(rng, members)
    made = [seed_thread(rng, members, categories, catalogue, n) for n in range(THREADS)]
    rated = seed_feedback(rng, made, catalogue, context["staff"])
    mention_staff(made[0], context["staff"])
    pinned, locked = rng.sample(made, 2)
    moderation.set_thread_state(pinned, None, pinned=True)
    moderation.set_thread_state(locked, None, locked=True)
    reply = next(p for p in threads.list_posts(made[-1], None, limit=5, cursor=None)[0] if not p.is_opener)
    moderation.flag_content(reply, next(m for m in members if m.id != reply.author_id), reason="off_topic")
    context.update(categories=categories, threads=made, products=catalogue)
    context.setdefault("summary", []).append(
        f"Community: {len(categories)} categories, {len(made)} threads ({rated} rated), {len(catalogue)} products."
    )
    progress.update(100)


def seed_products(rng, members) -> list:
    catalogue = []
    for name, description, scores in PRODUCTS:
        product = products.create_product(name=name, description=description, url="https://brand.example/shop")
        for member, score in zip(rng.sample(members, len(scores)), scores, strict=True):
            given = products.recommend(product, member, score=score, body=f"{score}/10 from me: {rng.choice(REPLIES)}")
            given.created_at = given.updated_at = utcnow() - timedelta(days=rng.uniform(2, RECOMMENDATIONS_OVER_DAYS))
        catalogue.append(product)
    return catalogue


def seed_thread(rng, members, categories, catalogue, n: int):
    author = rng.choice(members)
    title = rng.choice(TITLES).format(topic=rng.choice(TOPICS), product=rng.choice(catalogue).name)
    thread = threads.create_thread(
        author,
        category_id=rng.choice(categories).id,
        title=title,
        body=f"{title}\n\nI have had this for a while and wonder what others do. *Any* hints welcome.",
        tags=rng.sample(["help", "audio", "battery", "bluetooth", "app", "idea"], 2),
    )
    started = utcnow() - timedelta(days=60 - 2 * n, hours=rng.randint(0, 23))
    thread.created_at = thread.last_activity_at = thread.opening_post.created_at = started
    replies = []
    for k in range(rng.randint(1, 6)):
        post = threads.create_post(thread, rng.choice(members), body=rng.choice(REPLIES))
        post.created_at = thread.last_activity_at = started + timedelta(hours=k + 1)
        replies.append(post)
        for fan in rng.sample(members, rng.randint(0, 5)):
            if fan.id != post.author_id:
                reactions.add_reaction(post, fan, rng.choice(REACTION_KINDS))
    if rng.random() < 0.4:
        reactions.accept_answer(thread, author, rng.choice(replies).id)
    return thread


def seed_feedback(rng, made, catalogue, staff) -> int:
    """Authors rate most answered threads (when the answers came); a few customers had a bad time lately."""
    answered = [thread for thread in made if feedback.has_reply_from_others(thread)]
    rated = [thread for thread in answered if rng.random() < RATED_SHARE]
    unhappy = [thread for thread in rated if thread.author.member_type == "customer"][:UNHAPPY]
    for thread in rated:
        csat, ces = (rng.choice([1, 2]), 2) if thread in unhappy else rng.choice(RATINGS)
        rating = feedback.rate_thread(thread, thread.author, csat=csat, ces=ces, comment=rng.choice(COMMENTS))
        rated_at = min(thread.last_activity_at + timedelta(hours=rng.randint(1, 48)), utcnow())
        rating.created_at = rating.updated_at = rated_at
    for thread in unhappy:
        score = products.recommend(catalogue[2], thread.author, score=2, body="Stopped working after a month.")
        score.updated_at = utcnow() - timedelta(days=1)  # their latest word: a detractor
    if unhappy:
        moderator = next(member for member in staff if "moderator" in member.role_names)
        rating = feedback.thread_feedback(unhappy[0], moderator)
        responses.respond_to_feedback(rating, moderator, "Sorry this took so long. A fix ships next week.")
    return len(rated)


COMMENTS = ["", "", "Quick and clear, thanks!", "Solved it.", "Took a while but got there.", "Still not sure."]


def mention_staff(thread, staff) -> None:
    """A reply that mentions the moderator by the mention syntax: they get a notification."""
    moderator = next(member for member in staff if "moderator" in member.role_names)
    replier = next(member for member in staff if "marketer" in member.role_names)
    body = f"[@{moderator.display_name}](/members/{moderator.id}) could you pin this one?"
    threads.create_post(thread, replier, body=body)
