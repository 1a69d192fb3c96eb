"""A small shadowcast.v1 WebSocket client (RFC 6455, stdlib only) for the Python
tests: join, inputs, acks, input_dropped, video frame count. A reader thread
collects every message; every wait is bounded."""
import base64
import json
import os
import socket
import struct
import threading
import time


class WsClient:
    def __init__(self, port, name="client", timeout=10, keep_video=False):
        self.name = name
        self.video = [] if keep_video else None  # the binary messages, when kept
        self.messages = []  # JSON messages, in order
        self.acks = []
        self.frames = 0
        self.closed = None  # None, or the close code (1006: the TCP connection ended)
        self.close_reason = None  # the close frame's reason text
        self.seq = 0
        self.sent = {}  # seq -> fields
        self.lock = threading.Lock()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: shadowcast.v1\r\n\r\n" % (port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("%s: connection closed during the upgrade" % name)
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise OSError("%s: upgrade refused: %r" % (name, head[:80]))
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _recv(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read(self):
        msg, op0 = b"", 0
        try:
            while True:
                b0, b1 = self._recv(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack(">H", self._recv(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", self._recv(8))[0]
                payload = self._recv(n)
                op = b0 & 0x0F
                if op == 8:
                    self.close_reason = payload[2:].decode(errors="replace")
                    self.closed = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                    return
                if op == 9:
                    self._frame(0xA, payload)
                    continue
                if op in (1, 2):
                    msg, op0 = payload, op
                elif op == 0:
                    msg += payload
                else:
                    continue
                if not b0 & 0x80:
                    continue
                if op0 == 2:
                    self.frames += 1
                    if self.video is not None:
                        self.video.append(msg)
                else:
                    m = json.loads(msg.decode())
                    with self.lock:
                        self.messages.append(m)
                        if m.get("type") == "ack":
                            self.acks.append(m)
        except (EOFError, OSError):
            pass
        finally:
            if self.closed is None:
                self.closed = 1006

    def _frame(self, op, payload):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        body = bytes(c ^ mask[i & 3] for i, c in enumerate(payload))
        self.sock.sendall(hdr + mask + body)

    def send(self, obj):
        self._frame(1, json.dumps(obj, separators=(",", ":")).encode())

    def wait_for(self, pred, timeout=10, what="message", start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for m in self.messages[start:]:
                    if pred(m):
                        return m
            if self.closed is not None:
                raise AssertionError("%s: closed (%s) waiting for %s" % (self.name, self.closed, what))
            time.sleep(0.02)
        raise AssertionError("%s: no %s within %d s" % (self.name, what, timeout))

    def join(self, player):
        start = len(self.messages)
        self.send({"type": "join", "spectate": True} if player == "spectate" else {"type": "join", "player": player})
        return self.wait_for(lambda m: m.get("type") in ("hello", "error"), what="hello", start=start)

    def input(self, fields):
        self.seq += 1
        self.sent[self.seq] = fields
        self.send(dict({"type": "input", "seq": self.seq}, **fields))
        return self.seq

    def dropped(self):
        with self.lock:
            return [m for m in self.messages if m.get("type") == "input_dropped"]

    def close(self):
        try:
            self._frame(8, struct.pack(">H", 1000))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(timeout=5)


def events_of(fields):
    """The events one input message becomes, in the server's order (docs/protocol.md §3)."""
    ev = []
    if "move" in fields:
        ev.append(("move", fields["move"][0], fields["move"][1]))
    if "block" in fields:
        ev.append(("block", 1 if fields["block"] else 0, 0))
    if fields.get("shoot"):
        ev.append(("shoot", 0, 0))
    return ev
