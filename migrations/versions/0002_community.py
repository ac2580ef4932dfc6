"""community: categories, threads, posts, reactions, products, recommendations, flags, search

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from core.database import refuse_destructive_downgrade

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Search: PostgreSQL full-text (GIN expression indexes, matched by community.search) or an
# SQLite FTS5 table kept in sync by triggers (rowid = posts.id; title only on opening posts).
PG_SEARCH = [
    "CREATE INDEX ix_posts_body_fts ON posts USING gin (to_tsvector('english'::regconfig, body))",
    "CREATE INDEX ix_threads_title_fts ON threads USING gin (to_tsvector('english'::regconfig, title))",
]
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE post_search USING fts5(title, body, tokenize = 'porter unicode61')",
    """CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
        INSERT INTO post_search (rowid, title, body) VALUES (
            new.id,
            CASE WHEN new.is_opener THEN (SELECT title FROM threads WHERE id = new.thread_id) ELSE '' END,
            new.body);
    END""",
    """CREATE TRIGGER posts_search_update AFTER UPDATE OF body ON posts BEGIN
        UPDATE post_search SET body = new.body WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
        DELETE FROM post_search WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER threads_search_title AFTER UPDATE OF title ON threads BEGIN
        UPDATE post_search SET title = new.title
        WHERE rowid IN (SELECT id FROM posts WHERE thread_id = new.id AND is_opener);
    END""",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS threads_search_title",
    "DROP TRIGGER IF EXISTS posts_search_delete",
    "DROP TRIGGER IF EXISTS posts_search_update",
    "DROP TRIGGER IF EXISTS posts_search_insert",
    "DROP TABLE IF EXISTS post_search",
]
PG_SEARCH_DROP = ["DROP INDEX IF EXISTS ix_threads_title_fts", "DROP INDEX IF EXISTS ix_posts_body_fts"]
TABLES = [
    "content_shares",
    "post_reactions",
    "post_flags",
    "thread_tags",
    "recommendation_endorsements",
    "posts",
    "threads",
    "recommendations",
    "community_profiles",
    "products",
    "categories",
]


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )
    op.create_table(
        "community_profiles",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reputation", sa.Integer(), nullable=False),
        sa.Column("thread_count", sa.Integer(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("reactions_received", sa.Integer(), nullable=False),
        sa.Column("accepted_answers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_community_profiles_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_community_profiles")),
    )
    with op.batch_alter_table("community_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_community_profiles_reputation", ["reputation", "member_id"], unique=False)

    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("endorsement_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= 10", name=op.f("ck_recommendations_score_range")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_recommendations_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_recommendations_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("product_id", "member_id", name="uq_recommendations_product_member"),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendations_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_recommendations_product_id_id", ["product_id", "id"], unique=False)

    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("reaction_count", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_post_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_threads_author_id_members")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name=op.f("fk_threads_category_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threads")),
    )
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index("ix_threads_active", ["pinned", "last_activity_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_threads_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_threads_category_id"), ["category_id"], unique=False)
        batch_op.create_index("ix_threads_latest", ["pinned", "created_at", "id"], unique=False)
        batch_op.create_index("ix_threads_top", ["pinned", "score", "id"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("is_opener", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("like_count", sa.Integer(), nullable=False),
        sa.Column("helpful_count", sa.Integer(), nullable=False),
        sa.Column("insightful_count", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_posts_author_id_members")),
        sa.ForeignKeyConstraint(["reply_to_id"], ["posts.id"], name=op.f("fk_posts_reply_to_id_posts")),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_posts_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_posts_thread_id_id", ["thread_id", "id"], unique=False)

    op.create_table(
        "recommendation_endorsements",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_recommendation_endorsements_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_endorsements_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recommendation_id", "member_id", name=op.f("pk_recommendation_endorsements")),
    )
    op.create_table(
        "thread_tags",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_thread_tags_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("thread_id", "tag", name=op.f("pk_thread_tags")),
    )
    with op.batch_alter_table("thread_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "post_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("details", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'off_topic', 'misinformation', 'other')", name=op.f("ck_post_flags_reason")
        ),
        sa.CheckConstraint("status IN ('open', 'actioned', 'dismissed')", name=op.f("ck_post_flags_status")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_flags_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["members.id"], name=op.f("fk_post_flags_reporter_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["members.id"], name=op.f("fk_post_flags_resolved_by_id_members"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_flags")),
        sa.UniqueConstraint("post_id", "reporter_id", name="uq_post_flags_post_reporter"),
    )
    with op.batch_alter_table("post_flags", schema=None) as batch_op:
        batch_op.create_index("ix_post_flags_status_id", ["status", "id"], unique=False)

    op.create_table(
        "post_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('like', 'helpful', 'insightful')", name=op.f("ck_post_reactions_kind")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_post_reactions_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_reactions_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_reactions")),
        sa.UniqueConstraint("post_id", "member_id", "kind", name="uq_post_reactions_post_member_kind"),
    )
    with op.batch_alter_table("post_reactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_reactions_member_id"), ["member_id"], unique=False)

    op.create_table(
        "content_shares",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("content_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("content_type IN ('thread', 'recommendation')", name=op.f("ck_content_shares_content_type")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_content_shares_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", "content_type", "content_id", name=op.f("pk_content_shares")),
    )

    dialect = op.get_bind().dialect.name
    for statement in PG_SEARCH if dialect == "postgresql" else SQLITE_SEARCH if dialect == "sqlite" else []:
        op.execute(statement)


def downgrade():
    refuse_destructive_downgrade("community")
    dialect = op.get_bind().dialect.name
    for statement in PG_SEARCH_DROP if dialect == "postgresql" else SQLITE_SEARCH_DROP if dialect == "sqlite" else []:
        op.execute(statement)
    for table in TABLES:
        op.drop_table(table)  # their indexes go with them
