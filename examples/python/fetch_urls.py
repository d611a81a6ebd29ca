"""The asyncio twin of examples/fetch_urls.rs: three fetches at once.

Run it with `python3 examples/python/fetch_urls.py` (standard library
only). The article this follows uses aiohttp against example.com,
httpbin.org/delay/2 and python.org; here a local server started with
asyncio.start_server answers the same three kinds of request (a small
page, a reply after 2 s, a 100 KB body), and the client talks HTTP/1.1
over asyncio.open_connection. The output matches the Rust versions line
for line, apart from the timings and the server's port.
"""

import asyncio
import time

HOME_PAGE = (
    "<!doctype html>\n<html><head><title>Example server</title></head>\n"
    "<body><h1>Example server</h1><p>A small page, served at once.</p></body></html>\n"
)
BIG_BODY_LEN = 100_000
MAX_HEAD_BYTES = 8 * 1024  # the largest request head the server accepts
MAX_HEADERS = 32
MAX_DELAY_SECONDS = 10.0
HEAD_TIMEOUT_SECONDS = 10.0

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


# --- the server ---------------------------------------------------------


class BadRequest(Exception):
    """The client sent something that is not an acceptable request head."""


async def start_server():
    """Serve 127.0.0.1 on a port the kernel picks; return (server, port)."""
    # `limit` bounds readuntil(): a longer head raises LimitOverrunError.
    server = await asyncio.start_server(serve, "127.0.0.1", 0, limit=MAX_HEAD_BYTES)
    port = server.sockets[0].getsockname()[1]
    return server, port


async def serve(reader, writer):
    """Answer one request, then close the connection."""
    try:
        try:
            method, path = await asyncio.wait_for(read_request(reader), HEAD_TIMEOUT_SECONDS)
            status, content_type, body = await route(method, path)
        except BadRequest as why:
            status, content_type, body = 400, TEXT, f"bad request: {why}\n"
        payload = body.encode()
        head = (
            f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        await writer.drain()
        await linger_close(reader, writer)
    except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        pass  # the client went away: nobody to answer
    except asyncio.CancelledError:
        # The program is shutting down. End quietly: Python 3.11 would
        # report a cancelled handler task as an error.
        pass
    finally:
        writer.close()


async def read_request(reader):
    """Read a request head and return (method, path)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise BadRequest(f"request head larger than {MAX_HEAD_BYTES} bytes") from None
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            raise  # closed without a word
        raise BadRequest("connection closed in the middle of the head") from None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[2].startswith("HTTP/1."):
        raise BadRequest("invalid request line")
    headers = [line for line in lines[1:] if line]
    if len(headers) > MAX_HEADERS:
        raise BadRequest("too many headers")
    if any(":" not in line for line in headers):
        raise BadRequest("invalid header")
    return parts[0], parts[1]


async def route(method, path):
    if method != "GET":
        return 405, TEXT, f"method {method} is not allowed\n"
    path = path.split("?")[0]
    if path == "/":
        return 200, HTML, HOME_PAGE
    if path == "/big":
        return 200, TEXT, big_body()
    if path.startswith("/delay/"):
        return await delay(path[len("/delay/"):])
    return 404, TEXT, f"no route for {path}\n"


async def delay(raw):
    """/delay/<seconds>: sleep (this coroutine only), then say so."""
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0.0 <= seconds <= MAX_DELAY_SECONDS:
        return 400, TEXT, f'bad request: delay "{raw}" is not 0 to 10 seconds\n'
    await asyncio.sleep(seconds)
    return 200, JSON, f'{{"path": "/delay/{raw}", "slept": {raw}}}\n'


def big_body():
    return "".join(chr(ord("a") + i % 26) for i in range(BIG_BODY_LEN))


async def linger_close(reader, writer):
    """Shut the write side, then drain what the client still sends (for at
    most a second) so that closing does not reset the connection."""
    if writer.can_write_eof():
        writer.write_eof()
    try:
        await asyncio.wait_for(reader.read(64 * 1024), 1.0)
    except (asyncio.TimeoutError, ConnectionError):
        pass


# --- the client ---------------------------------------------------------


async def fetch(url):
    """GET an http://host:port/path URL and return the body as text."""
    rest = url.removeprefix("http://")
    authority, slash, path = rest.partition("/")
    host, _, port = authority.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        request = f"GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        if status != 200:
            raise ValueError(f"HTTP status {status}")
        length = None
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await (reader.readexactly(length) if length is not None else reader.read())
        return body.decode()
    finally:
        writer.close()


async def fetch_and_report(url, t0):
    """The article's fetch: log the start, get the body, log its size."""
    stamp = lambda: f"[T+{time.perf_counter() - t0:.2f}s]"
    print(f"{stamp()} Starting: {url}")
    try:
        text = await fetch(url)
    except (OSError, ValueError, asyncio.IncompleteReadError) as e:
        print(f"{stamp()} Failed: {url} -> {e}")
        return False
    print(f"{stamp()} Done: {url} -> {len(text)} characters")
    return True


async def main():
    server, port = await start_server()
    async with server:
        urls = [f"http://127.0.0.1:{port}{path}" for path in ["/", "/delay/2", "/big"]]
        t0 = time.perf_counter()
        results = await asyncio.gather(*(fetch_and_report(url, t0) for url in urls))
        fetched = sum(results)
        print(f"fetched {fetched} URLs in {time.perf_counter() - t0:.1f} s")
    return fetched == len(urls)


if __name__ == "__main__":
    raise SystemExit(0 if asyncio.run(main()) else 1)
