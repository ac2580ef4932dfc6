"""Demo data for community: categories, ~30 threads with replies and reactions, products with recommendations."""

from __future__ import annotations

from datetime import timedelta

from community.models import REACTION_KINDS
from community.services import moderation, products, reactions, threads
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


def seed_demo(context: dict, progress) -> None:
    rng, members = context["rng"], context["members"]
    categories = [threads.create_category(None, slug, name, description) for slug, name, description in CATEGORIES]
    catalogue = seed_products(rng, members)
    made = [seed_thread(rng, members, categories, catalogue, n) for n in range(THREADS)]
    pinned, locked = rng.sample(made, 2)
    moderation.set_thread_state(pinned, None, pinned=True)
    moderation.set_thread_state(locked, None, locked=True)
    reply = next(p for p in threads.list_posts(made[-1], None, limit=5, cursor=None)[0] if not p.is_opener)
    moderation.flag_post(reply, next(m for m in members if m.id != reply.author_id), reason="off_topic")
    context.update(categories=categories, threads=made, products=catalogue)
    context.setdefault("summary", []).append(
        f"Community: {len(categories)} categories, {len(made)} threads, {len(catalogue)} products."
    )
    progress.update(100)


def seed_products(rng, members) -> list:
    catalogue = []
    for name, description, scores in PRODUCTS:
        product = products.create_product(name=name, description=description, url="https://brand.example/shop")
        for member, score in zip(rng.sample(members, len(scores)), scores, strict=True):
            products.recommend(product, member, score=score, body=f"{score}/10 from me: {rng.choice(REPLIES)}")
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
