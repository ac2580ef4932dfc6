"""factory_boy factories for community models."""

import factory

from community.models import Category, Post, Product, Recommendation, Thread, ThreadFeedback
from community.services.markdown import render_markdown
from core.extensions import db
from core.models import utcnow
from tests.factories import MemberFactory, ModelFactory


class CategoryFactory(ModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ThreadFactory(ModelFactory):
    """A thread with its opening post: ThreadFactory(opener="Markdown body")."""

    class Meta:
        model = Thread

    category = factory.SubFactory(CategoryFactory)
    author = factory.SubFactory(MemberFactory)
    title = factory.Sequence(lambda n: f"Thread number {n}")

    @factory.post_generation
    def opener(thread, create, extracted, **kwargs):
        PostFactory(thread=thread, author=thread.author, is_opener=True, body=extracted or "Opening post")
        db.session.expire(thread, ["opening_post"])


class PostFactory(ModelFactory):
    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(MemberFactory)
    body = factory.Sequence(lambda n: f"Reply **{n}**")
    body_html = factory.LazyAttribute(lambda p: render_markdown(p.body))


class ProductFactory(ModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A thing the brand sells"


class RecommendationFactory(ModelFactory):
    class Meta:
        model = Recommendation

    product = factory.SubFactory(ProductFactory)
    member = factory.SubFactory(MemberFactory)
    score = 9
    body = "Works well"
    body_html = factory.LazyAttribute(lambda r: render_markdown(r.body))


class ThreadFeedbackFactory(ModelFactory):
    """A rating of a thread by its author, given at `updated_at`."""

    class Meta:
        model = ThreadFeedback

    thread = factory.SubFactory(ThreadFactory)
    member = factory.LazyAttribute(lambda f: f.thread.author)
    csat = 5
    ces = 7
    comment = ""
    created_at = factory.LazyFunction(utcnow)
    updated_at = factory.LazyAttribute(lambda f: f.created_at)
