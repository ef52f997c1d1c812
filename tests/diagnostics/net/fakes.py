"""Scriptable SMTP and IMAP peers for replies real servers give but ours can't be made to.

They speak enough of each protocol for our client (tags, continuations, literals)
and answer each command from a table, so a test can reproduce Gmail's, Yahoo's or
Microsoft's exact refusal on 127.0.0.1.
"""

import socket
from collections.abc import Callable
from dataclasses import dataclass, field

Reply = bytes | Callable[[bytes, bytes], bytes | None]


def _lines(*lines: bytes) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


@dataclass
class FakeIMAP:
    """handler(conn) for RawServer. `replies` maps an upper-case command to what follows it."""

    greeting: bytes = b"* OK fake IMAP ready"
    capabilities: bytes = b"IMAP4rev1 AUTH=PLAIN"
    login: bytes = b"OK logged in"  # the tagged status after LOGIN/AUTHENTICATE, without the tag
    folders: list[bytes] = field(
        default_factory=lambda: [b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "/" Sent']
    )
    replies: dict[bytes, Reply] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)

    def __call__(self, conn: socket.socket) -> None:
        stream = conn.makefile("rwb", buffering=0)
        try:
            stream.write(self.greeting + b"\r\n")
            while True:
                line = stream.readline(1 << 20)
                if not line:
                    return
                self.received.append(line)
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                command, _, args = rest.partition(b" ")
                answer = self._answer(stream, tag, command.upper(), args)
                if answer is None:  # hang: stay silent until the client gives up
                    stream.readline()
                    return
                stream.write(answer)
        except OSError:
            return

    def _answer(self, stream, tag: bytes, command: bytes, args: bytes) -> bytes | None:
        if command in self.replies:
            reply = self.replies[command]
            return reply(tag, args) if callable(reply) else reply.replace(b"{tag}", tag)
        if command == b"CAPABILITY":
            return _lines(b"* CAPABILITY " + self.capabilities, tag + b" OK done")
        if command == b"AUTHENTICATE":
            stream.write(b"+ \r\n")
            self.received.append(stream.readline())
            return _lines(tag + b" " + self.login)
        if command == b"LOGIN":
            if args.endswith(b"}"):  # a literal follows: {n}
                size = int(args[args.rindex(b"{") + 1 : -1].rstrip(b"+"))
                stream.write(b"+ go ahead\r\n")
                self.received.append(stream.read(size))
                stream.readline()
            return _lines(tag + b" " + self.login)
        if command in (b"LIST", b"XLIST"):
            name = command
            return b"".join(b"* " + name + b" " + f + b"\r\n" for f in self.folders) + _lines(
                tag + b" OK done"
            )
        if command == b"LOGOUT":
            return _lines(b"* BYE bye", tag + b" OK done")
        return _lines(tag + b" BAD unknown command")


@dataclass
class FakeSMTP:
    """handler(conn) for RawServer, answering SMTP commands from a table."""

    greeting: bytes = b"220 fake.example.test ESMTP"
    ehlo: list[bytes] = field(default_factory=lambda: [b"fake.example.test", b"AUTH PLAIN LOGIN"])
    auth: bytes = b"235 2.7.0 Authentication successful"
    replies: dict[bytes, Reply] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)

    def __call__(self, conn: socket.socket) -> None:
        stream = conn.makefile("rwb", buffering=0)
        try:
            stream.write(self.greeting + b"\r\n")
            while True:
                line = stream.readline(1 << 20)
                if not line:
                    return
                self.received.append(line)
                command, _, args = line.rstrip(b"\r\n").partition(b" ")
                command = command.upper()
                if command in self.replies:
                    reply = self.replies[command]
                    answer = reply(command, args) if callable(reply) else reply
                    if answer is None:
                        stream.readline()
                        return
                    stream.write(answer)
                elif command == b"EHLO":
                    stream.write(
                        b"".join(
                            b"250" + (b"-" if i < len(self.ehlo) - 1 else b" ") + item + b"\r\n"
                            for i, item in enumerate(self.ehlo)
                        )
                    )
                elif command == b"AUTH":
                    stream.write(self.auth + b"\r\n")
                elif command == b"QUIT":
                    stream.write(b"221 bye\r\n")
                    return
                else:
                    stream.write(b"502 5.5.2 not implemented\r\n")
        except OSError:
            return
