"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises with an allow-list."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from flask import current_app
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "del", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# html=False: raw HTML in the source is shown as text, never passed through.
_renderer = MarkdownIt("commonmark", {"html": False})
PROFILE_LINK = re.compile(r"^/members/([1-9][0-9]{0,9})$")
_default_image = _renderer.renderer.rules["image"]


def render_image(renderer, tokens, idx, options, env) -> str:
    """An image from an allowed host stays an image; any other becomes a link to it. A reader's
    browser would fetch the image itself, handing its address to whatever host a poster named."""
    token = tokens[idx]
    host = urlsplit(token.attrGet("src") or "").hostname or ""
    if host.lower() in env["image_hosts"]:
        return _default_image(tokens, idx, options, env)
    src = escapeHtml(token.attrGet("src") or "")
    text = escapeHtml(renderer.renderInlineAsText(token.children, options, env)) or src
    return f'<a href="{src}">{text}</a>'


_renderer.add_render_rule("image", render_image)


def render_markdown(source: str) -> str:
    """Sanitised HTML for a Markdown body: no scripts, no event handlers, only http(s)/mailto links,
    images only from IMAGE_ALLOWED_HOSTS."""
    hosts = {host.lower() for host in current_app.config["IMAGE_ALLOWED_HOSTS"]}
    html = _renderer.render(source, {"image_hosts": hosts})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        url_relative="deny",
        strip_comments=True,
    )


def mentioned_member_ids(source: str) -> list[int]:
    """Ids of the members a body mentions, in order, once each: links `[@name](/members/<id>)`.

    Read from the parsed Markdown, so a mention inside code (`` `[@x](/members/1)` ``) is no mention.
    """
    found: list[int] = []
    for block in _renderer.parse(source):
        children = block.children or []
        for token, following in zip(children, children[1:], strict=False):
            match = PROFILE_LINK.match(str(token.attrGet("href") or "")) if token.type == "link_open" else None
            if match and following.type == "text" and following.content.startswith("@"):
                member_id = int(match.group(1))
                if member_id not in found:
                    found.append(member_id)
    return found
