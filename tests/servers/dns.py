"""A tiny authoritative DNS server on 127.0.0.1 (UDP and TCP, same port).

The application resolves MX/SRV/A records for autodiscovery; pointing its
DNS_NAMESERVERS setting at ``LocalDNS.nameservers`` keeps every lookup on
loopback. dnslib only does the wire format: the socket servers are plain
``socketserver`` classes so stop() is quick and hanging a name is easy.

Semantics: a name with no records at all -> NXDOMAIN; a known name without
the asked type -> NOERROR with an empty answer (NODATA); CNAMEs inside the
zone are followed. A UDP answer too large for the client gets TC set, so
clients retry over TCP like with a real server.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from dnslib import AAAA, CNAME, MX, NS, PTR, QTYPE, RCODE, RR, SRV, TXT, A, DNSError, DNSRecord

HOST = "127.0.0.1"
UDP_LIMIT = 512  # RFC 1035 size for clients without EDNS
MAX_CNAME_CHAIN = 8


def _name(name: str) -> str:
    return name.rstrip(".").lower()


def _txt_chunks(value: str | bytes | list) -> list[bytes]:
    # A TXT record is a list of strings of at most 255 bytes each.
    if isinstance(value, list):
        return [v.encode() if isinstance(v, str) else v for v in value]
    data = value.encode() if isinstance(value, str) else value
    return [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]


def _rdata(rtype: str, value: Any):
    if rtype == "A":
        return A(value)
    if rtype == "AAAA":
        return AAAA(value)
    if rtype in ("CNAME", "NS", "PTR"):
        return {"CNAME": CNAME, "NS": NS, "PTR": PTR}[rtype](value)
    if rtype == "MX":
        preference, exchange = value
        return MX(exchange, preference)
    if rtype == "SRV":
        priority, weight, port, target = value
        return SRV(priority=priority, weight=weight, port=port, target=target)
    if rtype == "TXT":
        return TXT(_txt_chunks(value))
    raise ValueError(f"unsupported record type {rtype!r}")


class LocalDNS:
    """Authoritative test DNS server; records map (name, type) -> list of values.

    Values: A/AAAA "ip"; CNAME/NS/PTR "target"; MX (preference, exchange);
    SRV (priority, weight, port, target); TXT "text" or ["chunk", ...].
    """

    host = HOST

    def __init__(self, records: Mapping[tuple[str, str], Iterable] | None = None, ttl: int = 60) -> None:
        self.ttl = ttl
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp"/"tcp")
        self._records: dict[tuple[str, str], list] = {}
        self._hanging: set[str] = set()
        self._delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._tcp_conns: set[socket.socket] = set()
        for (name, rtype), values in (records or {}).items():
            self.add(name, rtype, values)
        self._udp, self._tcp = self._bind()
        self.port: int = self._udp.server_address[1]
        self._threads = [
            threading.Thread(
                target=srv.serve_forever, args=(0.05,), name=f"dns-{kind}-{self.port}", daemon=True
            )
            for kind, srv in (("udp", self._udp), ("tcp", self._tcp))
        ]
        for thread in self._threads:
            thread.start()

    @property
    def nameservers(self) -> str:
        """The ``ip:port`` string the app's DNS_NAMESERVERS setting expects."""
        return f"{HOST}:{self.port}"

    def add(self, name: str, rtype: str, values: Iterable | str) -> None:
        """Add records (appending to existing ones); safe while running."""
        rtype = rtype.upper()
        if isinstance(values, (str, bytes)):
            values = [values]
        rdatas = [_rdata(rtype, value) for value in values]  # fail here, not in the server thread
        with self._lock:
            self._records.setdefault((_name(name), rtype), []).extend(rdatas)

    def remove(self, name: str, rtype: str | None = None) -> None:
        """Drop one type of a name, or the whole name (it becomes NXDOMAIN)."""
        with self._lock:
            for key in [k for k in self._records if k[0] == _name(name) and rtype in (None, k[1].upper())]:
                del self._records[key]

    def hang(self, name: str) -> None:
        """Never answer queries for ``name`` (any type), to test client timeouts."""
        with self._lock:
            self._hanging.add(_name(name))

    def delay(self, name: str, seconds: float) -> None:
        """Answer queries for ``name`` and every name under it only after ``seconds``
        (a slow authoritative server), to test answers that arrive late."""
        with self._lock:
            self._delays[_name(name)] = seconds

    def _delay_for(self, qname: str) -> float:
        with self._lock:
            held = [s for n, s in self._delays.items() if qname == n or qname.endswith("." + n)]
        return max(held, default=0)

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()  # releases TCP handlers parked on a hanging name
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()
        with self._lock:
            conns = list(self._tcp_conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> LocalDNS:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LocalDNS {self.nameservers}>"

    def answer(self, data: bytes, transport: str) -> bytes | None:
        """Wire-format reply for a wire-format query; None means stay silent."""
        try:
            query = DNSRecord.parse(data)
        except DNSError:
            return None  # garbage: a real server would drop it too
        qname, qtype = _name(str(query.q.qname)), QTYPE.get(query.q.qtype)
        self.queries.append((qname, qtype, transport))
        held = self._delay_for(qname)
        if held:
            self._stopping.wait(held)  # each query has its own server thread
        reply = query.reply(ra=0, aa=1)
        with self._lock:
            if qname in self._hanging:
                return None
            known = any(name == qname for name, _ in self._records)
            for rr in self._resolve(qname, qtype):
                reply.add_answer(rr)
        if not known:
            reply.header.rcode = RCODE.NXDOMAIN
        packed = reply.pack()
        if transport == "udp" and len(packed) > self._udp_limit(query):
            reply = query.reply(ra=0, aa=1)
            reply.header.tc = 1
            packed = reply.pack()
        return packed

    def _resolve(self, name: str, qtype: str) -> list[RR]:
        answers: list[RR] = []
        for _ in range(MAX_CNAME_CHAIN):
            rdatas = self._records.get((name, qtype))
            if rdatas:
                return answers + [RR(name, getattr(QTYPE, qtype), rdata=rd, ttl=self.ttl) for rd in rdatas]
            alias = self._records.get((name, "CNAME")) if qtype != "CNAME" else None
            if not alias:
                break
            answers.append(RR(name, QTYPE.CNAME, rdata=alias[0], ttl=self.ttl))
            name = _name(str(alias[0].label))
        return answers

    @staticmethod
    def _udp_limit(query: DNSRecord) -> int:
        for rr in query.ar:
            if rr.rtype == QTYPE.OPT:  # EDNS: the class field is the payload size
                return max(UDP_LIMIT, rr.rclass)
        return UDP_LIMIT

    def _bind(self) -> tuple[socketserver.UDPServer, socketserver.TCPServer]:
        # UDP picks the ephemeral port, TCP must get the same number; retry if
        # another process happens to hold that TCP port.
        for _ in range(20):
            udp = _UDPServer((HOST, 0), _UDPHandler, self)
            try:
                return udp, _TCPServer((HOST, udp.server_address[1]), _TCPHandler, self)
            except OSError:
                udp.server_close()
        raise RuntimeError("could not bind UDP and TCP DNS sockets on one port")


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True

    def __init__(self, address, handler, dns: LocalDNS) -> None:
        self.dns = dns
        super().__init__(address, handler)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address, handler, dns: LocalDNS) -> None:
        self.dns = dns
        super().__init__(address, handler)


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.dns.answer(data, "udp")
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    # DNS over TCP: each message is prefixed with a 2-byte length (RFC 1035 4.2.2).
    def handle(self) -> None:
        dns: LocalDNS = self.server.dns
        conn: socket.socket = self.request
        with dns._lock:
            dns._tcp_conns.add(conn)
        try:
            while not dns._stopping.is_set():
                header = self._read(conn, 2)
                if header is None:
                    return
                data = self._read(conn, struct.unpack("!H", header)[0])
                if data is None:
                    return
                reply = dns.answer(data, "tcp")
                if reply is None:
                    dns._stopping.wait()  # hang with the connection open
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            pass
        finally:
            with dns._lock:
                dns._tcp_conns.discard(conn)

    @staticmethod
    def _read(conn: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data
