"""The client's IP address, trusting forwarded headers only from the proxies in TRUSTED_PROXIES.

`X-Forwarded-For` is written by whoever sends the request: a client that rotates it must not get a
fresh throttle bucket or login-failure counter per request. The chain is read from the right (the
hop our own proxy appended) and stops at the first address that is not a configured proxy; when the
direct peer (REMOTE_ADDR) is not a trusted proxy the header is ignored altogether. One function for
the DRF throttles, django-axes (AXES_CLIENT_IP_CALLABLE) and the /metrics allow-list."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def ip_in(address: str, entries: list[str] | tuple[str, ...]) -> bool:
    """Whether `address` is one of `entries` (addresses or CIDR networks such as 10.0.0.0/8)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(entries)))


def client_ip(request: Any) -> str:
    meta = request.META
    remote = str(meta.get("REMOTE_ADDR") or "")
    trusted: list[str] = list(getattr(settings, "TRUSTED_PROXIES", []))
    if not trusted or not ip_in(remote, trusted):
        return remote
    hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not ip_in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # garbage in the chain: the proxy itself is the last address we can vouch for
    return hops[0] if hops else remote
