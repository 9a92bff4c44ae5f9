#!/usr/bin/python3
"""A loopback TCP proxy that injects network faults, for the fault tests.

Usage:
    python3 scripts/fault-proxy.py --target PORT [--port 0]

Prints `READY <port>` once listening on 127.0.0.1, then reads one command per line on stdin and
answers `OK <command>` once it applies:

    pass           forward both ways (the default)
    blackhole      accept and keep connections, pass nothing either way (new ones too)
    rst            reset every connection open now in the middle of its next chunk: half of
                   it is forwarded, then both sides get a TCP RST (new connections pass)
    latency MS     delay every chunk by MS milliseconds (order kept)
    drip BPS       forward at most BPS bytes per second each way, in small pieces
    down           close the listener and reset every connection (the proxy is gone)
    up             listen again on the same port
    count          print `CONNECTIONS <n>`: connections open now

EOF on stdin stops the proxy.
"""
import argparse
import asyncio
import socket
import struct
import sys


class Proxy:
    def __init__(self, target, port):
        self.target = target
        self.port = port
        self.mode = "pass"
        self.latency = 0.0
        self.drip = 0
        self.doomed = set()
        self.server = None
        self.connections = set()

    async def listen(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def accept(self, client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            reset(client_writer)
            return
        pair = (client_writer, upstream_writer)
        self.connections.add(pair)
        pumps = [
            asyncio.create_task(self.pump(client_reader, upstream_writer, pair)),
            asyncio.create_task(self.pump(upstream_reader, client_writer, pair)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in pumps:
            task.cancel()
        self.close(pair, hard=False)

    def close(self, pair, hard):
        if pair not in self.connections:
            return
        self.connections.discard(pair)
        for writer in pair:
            if hard:
                reset(writer)
            else:
                writer.close()

    async def pump(self, reader, writer, pair):
        while True:
            data = await reader.read(65536)
            if not data:
                return
            while self.mode == "blackhole":
                await asyncio.sleep(0.05)
            if pair in self.doomed:
                self.doomed.discard(pair)
                writer.write(data[: max(1, len(data) // 2)])
                await writer.drain()
                self.close(pair, hard=True)
                return
            if self.mode == "latency":
                await asyncio.sleep(self.latency)
            if self.mode == "drip":
                step = max(1, self.drip // 20)
                for i in range(0, len(data), step):
                    writer.write(data[i:i + step])
                    await writer.drain()
                    await asyncio.sleep(step / self.drip)
                continue
            writer.write(data)
            await writer.drain()

    async def command(self, line):
        words = line.split()
        if not words:
            return
        name = words[0]
        if name == "pass":
            self.mode = "pass"
        elif name == "blackhole":
            self.mode = "blackhole"
        elif name == "rst":
            self.mode, self.doomed = "pass", set(self.connections)
        elif name == "latency":
            self.mode, self.latency = "latency", float(words[1]) / 1000
        elif name == "drip":
            self.mode, self.drip = "drip", max(1, int(words[1]))
        elif name == "down":
            self.server.close()
            await self.server.wait_closed()
            for pair in list(self.connections):
                self.close(pair, hard=True)
        elif name == "up":
            self.mode = "pass"
            await self.listen()
        elif name == "count":
            print("CONNECTIONS", len(self.connections), flush=True)
            return
        else:
            print("ERROR unknown command", name, flush=True)
            return
        print("OK", line.strip(), flush=True)


def reset(writer):
    """Closes with SO_LINGER 0: the peer gets a TCP RST."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, required=True, help="port on 127.0.0.1 to forward to")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    args = parser.parse_args()
    proxy = Proxy(args.target, args.port)
    await proxy.listen()
    print("READY", proxy.port, flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        await proxy.command(line.decode())


if __name__ == "__main__":
    asyncio.run(main())
