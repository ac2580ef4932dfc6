"""Markdown rendering is safe against known XSS payloads (OWASP cheat sheet and markdown-specific ones)."""

from html.parser import HTMLParser

import pytest

from community.services.markdown import render_markdown
from tests.community.conftest import API, new_thread

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](%6A%61%76%61%73%63%72%69%70%74:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![img](https://x.example/a.png"onerror="alert(1))',
    '[x](https://x.example "title\\" onmouseover=\\"alert(1)")',
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[a][ref]\n\n[ref]: javascript:alert(1)",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<<script>script>alert(1)<</script>/script>",
    "<details open ontoggle=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<a href='//evil.example'>protocol-relative</a>",
]


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_is_neutralised(app_ctx, payload):
    html = render_markdown(payload)
    for tag, attrs in Elements(html).found:
        assert tag in {"p", "a", "img", "code", "pre", "br"}, html
        assert not [name for name in attrs if name.startswith("on") or name == "style"], html
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].startswith(("http://", "https://", "mailto:")), html


def test_links_are_nofollow_ugc(app_ctx):
    html = render_markdown("[site](https://brand.example/page)")
    assert html == '<p><a href="https://brand.example/page" rel="nofollow ugc noopener">site</a></p>\n'


@pytest.mark.parametrize("source", ["**bold**", "- a\n- b", "> quote", "`code`", "# Title", "[m](mailto:a@b.example)"])
def test_ordinary_markdown_still_renders(app_ctx, source):
    html = render_markdown(source)
    assert "<" in html and "&lt;" not in html


def test_raw_html_in_markdown_is_shown_as_text(app_ctx):
    assert render_markdown("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_api_stores_raw_markdown_and_serves_sanitised_html(auth, category):
    body = "Hi <script>alert(1)</script> [x](javascript:alert(1)) *ok*"
    thread = new_thread(auth.client("member"), category.id, body=body)
    assert thread["body"] == body
    assert "<script" not in thread["body_html"] and "javascript:" not in thread["body_html"].split("[x]")[0]
    assert "<em>ok</em>" in thread["body_html"]
    reply = auth.client("member").post(
        f"{API}/threads/{thread['id']}/posts", json={"body": "<img src=x onerror=alert(1)>"}
    )
    assert "<img" not in reply.get_json()["body_html"]


def test_images_load_only_from_allowed_hosts(app_ctx):
    allowed = render_markdown("![chart](https://images.brand.example/chart.png)")
    assert allowed == '<p><img src="https://images.brand.example/chart.png" alt="chart"></p>\n'
    elsewhere = render_markdown("![pixel *1*](https://tracker.example/p.gif?reader=1)")
    assert "<img" not in elsewhere
    assert Elements(elsewhere).found == [
        ("p", {}),
        ("a", {"href": "https://tracker.example/p.gif?reader=1", "rel": "nofollow ugc noopener"}),
    ]
    assert ">pixel 1</a>" in elsewhere


@pytest.mark.parametrize(
    "source",
    [
        "![](https://images.brand.example.evil.example/x.png)",
        "![x](https://evil.example/x.png#images.brand.example)",
        "![x](https://images.brand.example@evil.example/x.png)",
        "![x](//evil.example/x.png)",
    ],
)
def test_look_alike_image_hosts_become_links(app_ctx, source):
    assert "<img" not in render_markdown(source)


def test_the_allowed_hosts_come_from_the_setting(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMAGE_ALLOWED_HOSTS", ["cdn.example"])
    assert "<img" in render_markdown("![x](https://CDN.example/x.png)")
    assert "<img" not in render_markdown("![x](https://images.brand.example/x.png)")


def test_a_posted_image_from_elsewhere_is_served_as_a_link(auth, category):
    thread = new_thread(auth.client("member"), category.id, body="See ![me](https://tracker.example/me.gif)")
    assert "<img" not in thread["body_html"] and 'href="https://tracker.example/me.gif"' in thread["body_html"]
