"""Behind reverse proxies: the client address is what the proxies say, and only as far as trusted."""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxies:
    """Werkzeug's ProxyFix for TRUSTED_PROXY_COUNT proxies, read from the config at each request.

    At 0, X-Forwarded-* headers are ignored: anyone can send them. At N, the client address is the
    Nth entry from the right of X-Forwarded-For (each proxy appends the address it saw), and the
    scheme the Nth of X-Forwarded-Proto. The Host header is the proxy's to pass through.
    """

    def __init__(self, wsgi_app, config):
        self.wsgi_app, self.config = wsgi_app, config
        self.fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        count = self.config["TRUSTED_PROXY_COUNT"]
        if not count:
            return self.wsgi_app(environ, start_response)
        fix = self.fixes.get(count) or self.fixes.setdefault(count, ProxyFix(self.wsgi_app, x_for=count, x_proto=count))
        return fix(environ, start_response)
