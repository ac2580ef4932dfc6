"""How a webhook delivery travels: only to public addresses (SSRF), connected to the address that
was vetted (no DNS rebinding), within a wall-clock deadline, reading at most a capped answer."""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as TransportError

from core.errors import ValidationFailed

SOCKET_TIMEOUT_SECONDS = 5  # per connect and per read; the deadline bounds the whole exchange
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAT64_PREFIX = ipaddress.ip_network("64:ff9b:1::/48")
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")  # the only IPv6 a receiver may have (RFC 4291)


class UnsafeWebhookUrl(ValidationFailed):
    """The URL points at a private, loopback or otherwise internal address."""


class DeadlineExceeded(Exception):
    """The receiver had not answered when the attempt's wall-clock deadline passed."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo, IPv4-compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX or address in LOCAL_NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0:  # ::a.b.c.d (IPv4-compatible, deprecated)
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable; for IPv6 also global unicast (not multicast, not unassigned space), and
    so is any IPv4 address an IPv6 form embeds."""
    if not address.is_global:
        return False
    if address.version == 4:
        return True
    inner = embedded_ipv4(address)
    return address in GLOBAL_UNICAST and (inner is None or inner.is_global)


def split_url(url: str):
    """(parts, port) of an absolute http(s) URL, or ValidationFailed naming url."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("Give an absolute http(s) URL.", field="url")
    try:
        port = parts.port
    except ValueError:
        raise ValidationFailed("The URL's port must be a number from 1 to 65535.", field="url") from None
    if port == 0:
        raise ValidationFailed("The URL's port must be a number from 1 to 65535.", field="url")
    return parts, port or (443 if parts.scheme == "https" else 80)


def public_address(url: str) -> str:
    """Resolve the URL's host once and return an address to connect to; refuse if ANY address
    it resolves to is non-public (SSRF, including IPv6 forms that embed a private IPv4)."""
    parts, port = split_url(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationFailed("The URL's host does not resolve.", field="url") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses or not all(is_public(address) for address in addresses):
        raise UnsafeWebhookUrl("Private, loopback and internal addresses are not allowed.", field="url")
    return str(addresses[0])


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs whose host resolves to a non-public address (SSRF), unless allowed."""
    split_url(url)
    if not allow_private:
        public_address(url)


class Deadline:
    """A wall-clock limit on one exchange. When it passes, the exchange's sockets are shut down,
    so a receiver that answers a byte at a time (each read within the socket timeout) cannot
    hold a worker past it. It keeps a duplicate of each socket's descriptor, so the socket it
    shuts down is never one the number was reused for."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = self.finished = False
        self.descriptors: list[int] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def __enter__(self) -> Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()
        with self.lock:
            self.finished = True
            for descriptor in self.descriptors:
                os.close(descriptor)

    def watch(self, sock: socket.socket) -> None:
        with self.lock:
            if self.expired:
                sock.close()
                raise DeadlineExceeded(f"no answer within {self.seconds:g} s")
            self.descriptors.append(os.dup(sock.fileno()))

    def expire(self) -> None:
        with self.lock:
            if self.finished:
                return
            self.expired = True
            for descriptor in self.descriptors:
                shut_down(descriptor)


def shut_down(descriptor: int) -> None:
    sock = socket.socket(fileno=descriptor)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the peer or urllib3 closed it already
    finally:
        sock.detach()  # the descriptor stays ours, closed by Deadline.__exit__


def watched(connection_class: type, deadline: Deadline) -> type:
    class WatchedConnection(connection_class):
        def _new_conn(self):
            sock = super()._new_conn()
            deadline.watch(sock)
            return sock

    return WatchedConnection


class DeliveryAdapter(HTTPAdapter):
    """One delivery's connections: each under the deadline and, for a vetted URL, made to the
    vetted address while TLS still sends SNI for, and checks the certificate against, the name."""

    def __init__(self, hostname: str | None = None, deadline: Deadline | None = None):
        self.hostname, self.deadline = hostname, deadline
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        if self.hostname:
            pool_kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        if self.deadline is not None:
            self.poolmanager.pool_classes_by_scheme = {
                "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": watched(HTTPConnection, self.deadline)}),
                "https": type(
                    "Pool", (HTTPSConnectionPool,), {"ConnectionCls": watched(HTTPSConnection, self.deadline)}
                ),
            }


def pinned(url: str) -> tuple[str, str, dict]:
    """The URL rewritten to the vetted address, the host name, and the Host header to send."""
    parts, _ = split_url(url)
    address = public_address(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), parts.hostname, {"Host": parts.netloc.rpartition("@")[2]}


def post(url: str, body: str, headers: dict, *, allow_private: bool, deadline: float, max_bytes: int) -> int:
    """POST without following redirects and return the status. Unless private addresses are
    allowed, the host is resolved once, vetted, and the connection made to that very address.
    The exchange ends by `deadline` seconds; at most `max_bytes` of the answer are read."""
    target, hostname, host_header = (url, None, {}) if allow_private else pinned(url)
    with Deadline(deadline) as limit, requests.Session() as session:
        session.trust_env = False  # no proxy from the environment: we connect where we vetted
        adapter = DeliveryAdapter(hostname, limit)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            response = session.post(
                target,
                data=body,
                headers={**headers, **host_header},
                timeout=min(SOCKET_TIMEOUT_SECONDS, deadline),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException:
            if limit.expired:
                raise DeadlineExceeded(f"no answer within {deadline:g} s") from None
            raise
        with response:
            drain(response, max_bytes, limit)
            return response.status_code


def drain(response: requests.Response, max_bytes: int, limit: Deadline) -> None:
    """Read (and drop) the answer up to `max_bytes` or the deadline: its status is what counts."""
    received = 0
    try:
        for chunk in response.raw.stream(8192, decode_content=False):
            received += len(chunk)
            if received > max_bytes or limit.expired:
                return
    except (requests.RequestException, TransportError, OSError, ValueError):
        return  # a broken body does not change the answer's status
