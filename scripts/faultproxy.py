#!/usr/bin/env python3
"""A loopback HTTP/1.1 fault proxy for the chaos run (standard library only).

Sits between the line agent and the registrar and, request by request, drawn from a seeded random generator:
  drop       reads the request and closes the connection without forwarding or answering
  reset      reads the request and resets the connection (RST)
  lost       forwards the request, then resets the client: applied at the registrar, the answer lost
  delay      waits up to --max-delay seconds before forwarding
  dup        forwards the request twice (the second copy right after the first)
  reorder    answers normally, and replays a copy to the registrar 1-5 s later, after newer requests
  e500       answers 500 without forwarding, or (every other time) after forwarding: applied, told failed
  e429       answers 429 with Retry-After: 1 without forwarding
Besides, a "cut" (SIGUSR1 starts it, SIGUSR2 ends it) makes every connection reset at once, as a link that is
down. A registrar that is down answers 502 (connection refused upstream).

Every upstream exchange uses `Connection: close`, and so does every answer, so there is one request per
connection and no framing to get wrong. Statistics go to --stats (JSON) after every request; the first line on
stdout is the port it listens on.

    faultproxy.py --upstream 127.0.0.1:8080 [--port 0] [--seed 1] [--rate 0.2] [--stats stats.json]
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys
import time

FAULTS = ["drop", "reset", "lost", "delay", "dup", "reorder", "e500", "e429"]


class Proxy:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        host, port = args.upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.cut = False
        self.stats = {"requests": 0, "forwarded": 0, "answered": 0, "upstreamDown": 0, "cutResets": 0, "cuts": 0,
                      "badRequests": 0, "faults": {name: 0 for name in FAULTS}}
        self.tasks = set()

    def save(self):
        if not self.args.stats:
            return
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.stats, f)
        os.replace(tmp, self.args.stats)

    def pick(self):
        if self.random.random() >= self.args.rate:
            return None
        return self.random.choice(FAULTS)

    async def read_request(self, reader):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = []
        length = 0
        chunked = False
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            lname = name.strip().lower()
            if lname == "content-length":
                length = int(value.strip())
            elif lname == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            if lname in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                continue
            headers.append(line)
        if chunked:
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        else:
            body = await reader.readexactly(length) if length else b""
        request = (lines[0] + "\r\n" + "".join(h + "\r\n" for h in headers) +
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body
        return request

    async def forward(self, request):
        """Sends one request upstream; returns the raw answer (None when the registrar cannot be reached)."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*self.upstream), 5)
        except (OSError, asyncio.TimeoutError):
            self.stats["upstreamDown"] += 1
            return None
        try:
            writer.write(request)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(-1), 60)
            self.stats["forwarded"] += 1
            return answer or None
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            self.stats["upstreamDown"] += 1
            return None
        finally:
            writer.close()

    @staticmethod
    def reset(writer):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        writer.close()

    @staticmethod
    def status(code, text, extra=""):
        body = json.dumps({"error": {"code": "proxy_fault" if code != 429 else "rate_limited",
                                     "message": f"fault proxy: {text}"}}).encode()
        return (f"HTTP/1.1 {code} {text}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"{extra}Connection: close\r\n\r\n").encode() + body

    async def replay_later(self, request):
        await asyncio.sleep(self.random.uniform(1, 5))
        await self.forward(request)
        self.save()

    async def handle(self, reader, writer):
        try:
            if self.cut:
                self.stats["cutResets"] += 1
                self.reset(writer)
                return
            try:
                request = await asyncio.wait_for(self.read_request(reader), 30)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError, OSError):
                self.stats["badRequests"] += 1
                self.reset(writer)
                return
            self.stats["requests"] += 1
            if self.cut:
                self.stats["cutResets"] += 1
                self.reset(writer)
                return
            fault = self.pick()
            if fault:
                self.stats["faults"][fault] += 1
            if fault == "drop":
                writer.close()
                return
            if fault == "reset":
                self.reset(writer)
                return
            if fault == "e429":
                writer.write(self.status(429, "Too Many Requests", "Retry-After: 1\r\n"))
                await writer.drain()
                writer.close()
                return
            if fault == "e500" and self.stats["faults"]["e500"] % 2 == 1:
                writer.write(self.status(500, "Internal Server Error"))
                await writer.drain()
                writer.close()
                return
            if fault == "delay":
                await asyncio.sleep(self.random.uniform(0, self.args.max_delay))
            answer = await self.forward(request)
            if fault == "dup":
                second = await self.forward(request)
                answer = answer or second
            if fault == "reorder":
                task = asyncio.ensure_future(self.replay_later(request))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            if fault == "lost" or self.cut:
                self.reset(writer)
                return
            if fault == "e500":
                answer = self.status(500, "Internal Server Error")
            if answer is None:
                answer = self.status(502, "Bad Gateway")
            writer.write(answer)
            await writer.drain()
            self.stats["answered"] += 1
            writer.close()
        except (OSError, ConnectionError):
            self.reset(writer)
        finally:
            self.save()

    def set_cut(self, on):
        if on and not self.cut:
            self.stats["cuts"] += 1
        self.cut = on
        self.save()


async def main():
    parser = argparse.ArgumentParser(description="Loopback HTTP fault proxy for the chaos run.")
    parser.add_argument("--upstream", required=True, help="host:port of the registrar")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.2, help="share of requests that get a fault")
    parser.add_argument("--max-delay", type=float, default=3.0, help="longest injected delay, seconds")
    parser.add_argument("--stats", help="write statistics (JSON) to this file")
    args = parser.parse_args()
    # A parent may start us with signals blocked (Foundation's Process passes its thread's mask on): unblock ours.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT})
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.port, limit=1 << 24)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, proxy.set_cut, True)
    loop.add_signal_handler(signal.SIGUSR2, proxy.set_cut, False)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    proxy.save()
    print(port, flush=True)
    async with server:
        await stop.wait()
    proxy.save()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
