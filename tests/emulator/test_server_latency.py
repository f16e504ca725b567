"""Keep-alive requests to an emulated org are not held back by Nagle's algorithm.

Without TCP_NODELAY on the accepted sockets, each response body waits for the
client's delayed ACK of the headers, about 40 ms per request on Linux.
"""

import socket
import ssl
import time

import httpx

from orgbridge.emulator.server import EmulatedOrg, _listening_socket

REQUESTS = 20
# With the 40 ms stall, 20 requests take about 0.9 s; without it, a few ms each.
MAX_TOTAL_SECONDS = 0.5


def test_listening_socket_is_tcp() -> None:
    sock = _listening_socket(0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_keep_alive_requests_not_delayed(emulated_org: EmulatedOrg) -> None:
    context = ssl.create_default_context(cafile=str(emulated_org.ca_bundle))
    with httpx.Client(base_url=emulated_org.instance_url, verify=context) as http:
        assert http.get("/services/data").status_code == 200
        started = time.perf_counter()
        for _ in range(REQUESTS):
            http.get("/services/data")
        elapsed = time.perf_counter() - started

    assert elapsed < MAX_TOTAL_SECONDS
