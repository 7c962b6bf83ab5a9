"""Fetching URL sources safely: size and time limits, and no requests into private networks.

A source URL comes from an untrusted list, and the page it names can redirect anywhere. Every connection
(the first one and each redirect hop) goes through `_GuardedBackend`, which resolves the host itself,
refuses loopback, link-local, private, multicast and other non-public addresses, and connects to the very
address it checked, so a DNS answer that changes between the check and the connection (DNS rebinding)
cannot slip through. The same backend gives every connect, read and write only the time left before one
deadline for the whole request: a server that drips its headers or body cannot hold us past the limit.

VERIFY_ALLOW_PRIVATE_URLS=1 opts into intranet sources; a comma-separated list of addresses or networks
(`10.2.0.0/16,192.168.1.5`) allows only those.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Iterable

import httpcore
import httpx

from .errors import ConfigError, InputError

USER_AGENT = "verify/0.1 (fact-checking workbench)"
MAX_REDIRECTS = 10
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """A connection to a non-public address, not allowed by VERIFY_ALLOW_PRIVATE_URLS."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses may be reached: none (the default), all, or the listed networks."""

    allow_all: bool = False
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_setting(cls, value: str | None) -> "AddressPolicy":
        value = (value or "").strip()
        if value.lower() in {"", "0", "false", "no"}:
            return cls()
        if value.lower() in {"1", "true", "yes", "all"}:
            return cls(allow_all=True)
        try:
            return cls(networks=tuple(ipaddress.ip_network(v.strip(), strict=False) for v in value.split(",") if v.strip()))
        except ValueError as exc:
            raise ConfigError(f"VERIFY_ALLOW_PRIVATE_URLS={value!r} is not valid: use 1, or addresses and networks "
                              f"separated by commas (e.g. 10.2.0.0/16,192.168.1.5)") from exc

    def check(self, host: str, address: Address) -> None:
        """Raise RefusedAddress unless `address` is public or allowed."""
        kind = non_public_kind(address)
        if kind is None or self.allow_all or any(address in n for n in self.networks if n.version == address.version):
            return
        raise RefusedAddress(f"refused to connect to {host} ({address}, a {kind} address); "
                             "set VERIFY_ALLOW_PRIVATE_URLS=1 to read sources on a private network")


def non_public_kind(address: Address) -> str | None:
    """What kind of non-public address this is ('loopback', 'private'...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("loopback", "link_local", "multicast", "unspecified", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


def resolve(host: str, port: int, timeout_s: float) -> list[Address]:
    """Every address `host` resolves to, within `timeout_s` (getaddrinfo itself cannot time out)."""
    result: dict = {}

    def lookup() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(max(timeout_s, 0.0))
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout_s:.0f} s")
    if "error" in result:
        raise httpcore.ConnectError(f"{host}: {result['error']}")
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in result["infos"]]
    return list(dict.fromkeys(addresses))


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds, self.at = seconds, time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def left(self, timeout: float | None = None) -> float:
        """Seconds left, never more than the per-operation `timeout`; past the deadline, a timeout error."""
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout(f"no complete response within {self.seconds:.0f} s")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation gets only the time left before the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline):
        self.inner, self.deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.deadline.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.deadline.left(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, self.deadline.left(timeout)),
                               self.deadline)

    def get_extra_info(self, info: str):
        return self.inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, and connects to a checked address (TLS still verifies the host name)."""

    def __init__(self, policy: AddressPolicy, deadline: _Deadline):
        self.policy, self.deadline, self.inner = policy, deadline, httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        addresses = resolve(host, port, self.deadline.left(timeout))
        for address in addresses:  # one non-public answer refuses the host: the next lookup may pick it
            self.policy.check(host, address)
        error: Exception = httpcore.ConnectError(f"{host}: no address")
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(str(address), port, self.deadline.left(timeout), local_address,
                                                socket_options)
                return _DeadlineStream(stream, self.deadline)
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    def connect_unix_socket(self, *args, **kwargs):
        raise RefusedAddress("Unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _guarded_transport(policy: AddressPolicy, deadline: _Deadline) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx (0.27, 0.28) has no public way to pass an httpcore network backend: set it on its pool.
    pool = getattr(transport, "_pool", None)
    if not hasattr(pool, "_network_backend"):
        raise ConfigError("this httpx version is not supported for URL sources: install httpx 0.27 or 0.28")
    pool._network_backend = _GuardedBackend(policy, deadline)
    return transport


def fetch(url: str, max_bytes: int, timeout_s: float, allow_private: str | None) -> tuple[bytes, str]:
    """The body of `url` and its Content-Type, within `max_bytes` and `timeout_s` for the whole request."""
    policy = AddressPolicy.from_setting(allow_private)
    deadline = _Deadline(timeout_s)
    started = False  # headers received: a timeout from here on is a slow body
    try:
        # trust_env=False: proxies from the environment would connect without these checks.
        with httpx.Client(transport=_guarded_transport(policy, deadline), trust_env=False, follow_redirects=True,
                          max_redirects=MAX_REDIRECTS, timeout=timeout_s, headers={"User-Agent": USER_AGENT}) as client:
            with client.stream("GET", url) as response:
                started = True
                if response.status_code >= 400:
                    raise InputError(f"{url}: HTTP {response.status_code}")
                return _read_body(url, response, max_bytes, deadline), response.headers.get("content-type", "")
    except RefusedAddress as exc:
        raise InputError(f"{url}: {exc}") from exc
    except httpx.TimeoutException as exc:
        if started:
            raise InputError(f"{url}: still downloading after {timeout_s:.0f} s; stopped reading") from exc
        raise InputError(f"{url}: timed out after {timeout_s:.0f} s") from exc
    except httpx.TooManyRedirects as exc:
        raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects") from exc
    except httpx.HTTPError as exc:
        raise InputError(f"{url}: could not be fetched ({type(exc).__name__}: {exc})") from exc


def _read_body(url: str, response: httpx.Response, max_bytes: int, deadline: _Deadline) -> bytes:
    declared = int(response.headers.get("content-length") or 0)
    if declared > max_bytes:
        raise InputError(f"{url}: body of {declared / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit")
    body = bytearray()
    for block in response.iter_bytes():
        body.extend(block)
        if len(body) > max_bytes:
            raise InputError(f"{url}: body is over the {max_bytes / 1e6:.0f} MB limit; stopped reading")
        if deadline.expired():  # blocks arriving faster than any read timeout, but never ending
            raise httpx.ReadTimeout("deadline")
    return bytes(body)
