"""A counting SMTP sink for the subscription benchmark: accepts every message on any number of
connections, and writes the count and the time of the first and the last message to a file each
second (so the benchmark can wait for N without parsing mail). Usage: smtp_sink.py PORT OUT_FILE
"""
import asyncio
import sys
import time

PORT, OUT = int(sys.argv[1]), sys.argv[2]
count, first, last, one_click = 0, 0.0, 0.0, 0


async def session(reader, writer):
    global count, first, last, one_click
    writer.write(b"220 sink.bench ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line[:4].upper()
        if cmd == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            headers_done = False
            while True:
                l = await reader.readline()
                if not l or l in (b".\r\n", b".\n"):
                    break
                if not headers_done and l.lower().startswith(b"list-unsubscribe-post:"):
                    one_click += 1
                if l in (b"\r\n", b"\n"):
                    headers_done = True
            now = time.time()
            first = first or now
            last = now
            count += 1
            writer.write(b"250 queued\r\n")
        elif cmd == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


async def report():
    while True:
        with open(OUT, "w") as f:
            f.write(f"{count} {first:.3f} {last:.3f} {one_click}\n")
        await asyncio.sleep(0.5)


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", PORT)
    asyncio.create_task(report())
    async with server:
        await server.serve_forever()


asyncio.run(main())
