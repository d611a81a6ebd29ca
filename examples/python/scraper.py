"""The asyncio twin of examples/scraper.rs: crawl a local site.

Run it with `python3 examples/python/scraper.py` (standard library only:
asyncio streams, no aiohttp). A local site starts on 127.0.0.1 (200 pages
that link to each other, a few slow ones, links to missing pages, one
page that answers with garbage and one that never answers); the crawler
follows every link once from `/`, with at most 8 requests in flight
(asyncio.Semaphore) and a timeout per request (asyncio.wait_for). The
crawl is an async generator that yields each result as it arrives. It
prints the same summary as the Rust versions, apart from the time.
"""

import asyncio
import time

PAGES = 200  # /page/0 to /page/199
MAX_IN_FLIGHT = 8
REQUEST_TIMEOUT_SECONDS = 1.0
SLOW_PAGE_DELAY_SECONDS = 0.1


# --- the crawler ------------------------------------------------------------


class Gauge:
    """Requests in flight now, and the most there ever were."""

    def __init__(self):
        self.now = 0
        self.peak = 0


class FetchError(Exception):
    """A request that produced no page; the message is the kind of error."""


async def crawl(port, gauge):
    """Yield each request's outcome (None, or the kind of error) as it is known."""
    permits = asyncio.Semaphore(MAX_IN_FLIGHT)
    done = asyncio.Queue(MAX_IN_FLIGHT)
    seen = {"/"}
    pending = ["/"]
    running = 0
    tasks = set()  # the event loop keeps only weak references to tasks

    async def fetch_one(path):
        async with permits:
            gauge.now += 1
            gauge.peak = max(gauge.peak, gauge.now)
            try:
                outcome = await asyncio.wait_for(fetch(port, path), REQUEST_TIMEOUT_SECONDS)
            except asyncio.TimeoutError:
                outcome = FetchError("timed out")
            except FetchError as error:
                outcome = error
            finally:
                gauge.now -= 1
        await done.put(outcome)

    while True:
        # One task per link; each waits for a permit before it connects.
        for path in pending:
            running += 1
            task = asyncio.create_task(fetch_one(path))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        pending = []
        if running == 0:
            return
        outcome = await done.get()
        running -= 1
        if isinstance(outcome, FetchError):
            yield str(outcome)
        else:
            for link in links_in(outcome):
                if link not in seen:
                    seen.add(link)
                    pending.append(link)
            yield None


async def fetch(port, path):
    """GET path; return the body of a 200 answer, or raise FetchError."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()  # also when wait_for cancels us: the server sees the close
    except OSError as error:
        raise FetchError(f"connection error ({type(error).__name__})") from error
    text = raw.decode("utf-8", "replace")
    head, sep, body = text.partition("\r\n\r\n")
    code = head.removeprefix("HTTP/1.1 ").split(" ")[0] if head.startswith("HTTP/1.1 ") else ""
    if not sep or not code.isdigit():
        raise FetchError("malformed response")
    if int(code) != 200:
        raise FetchError(f"http {int(code)}")
    return body


def links_in(html):
    """The targets of the href="..." links in html, in order."""
    return [rest.split('"', 1)[0] for rest in html.split('href="')[1:] if '"' in rest]


# --- the site ---------------------------------------------------------------


def links_of(i):
    """Page i's links: the next page, a far one, and on some pages a missing
    page, the garbage one or the silent one."""
    links = [f"/page/{(i + 1) % PAGES}", f"/page/{(i * 7 + 3) % PAGES}"]
    if i % 10 == 3:
        links.append(f"/missing/{i}")
    if i == 50:
        links.append("/garbage")
    if i == 100:
        links.append("/silent")
    return links


def route(path):
    """("page", html, slow), ("not found",), ("garbage",) or ("silence",)."""
    if path == "/":
        title, links, slow = "home", ["/page/0", "/page/100"], False
    elif path in ("/garbage", "/silent"):
        return ("garbage",) if path == "/garbage" else ("silence",)
    else:
        number = path.removeprefix("/page/")
        if not path.startswith("/page/") or not number.isdigit() or int(number) >= PAGES:
            return ("not found",)
        i = int(number)
        title, links, slow = f"page {i}", links_of(i), i % 20 == 7
    anchors = "".join(f'<a href="{link}">{link}</a>\n' for link in links)
    return ("page", f"<html><body><h1>{title}</h1>\n{anchors}</body></html>\n", slow)


HANDLERS = set()  # the site's connection handlers still running


async def serve(reader, writer):
    """Answer one request (one per connection) and close."""
    HANDLERS.add(asyncio.current_task())
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        words = head.decode("utf-8", "replace").split("\r\n")[0].split(" ")
        if len(words) < 2 or words[0] != "GET":
            return
        path = words[1]
        answer = route(path)
        if answer[0] == "garbage":
            writer.write(b"HTTP/1.1 two hundred-ish\r\n\r\n<html>")
            await writer.drain()
            return
        if answer[0] == "silence":
            await reader.read()  # until the client gives up and closes its end
            return
        if answer[0] == "page":
            _, body, slow = answer
            if slow:
                await asyncio.sleep(SLOW_PAGE_DELAY_SECONDS)
            status = "200 OK"
        else:
            status, body = "404 Not Found", f"no page at {path}\n"
        payload = body.encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload
        )
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()
        HANDLERS.discard(asyncio.current_task())


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    t0 = time.monotonic()
    gauge = Gauge()
    fetched = requests = 0
    errors = {}
    async for result in crawl(port, gauge):
        requests += 1
        if result is None:
            fetched += 1
        else:
            errors[result] = errors.get(result, 0) + 1
    kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(errors.items()))
    print(f"crawled the local site from / with at most {MAX_IN_FLIGHT} requests in flight")
    print(f"requests: {requests}, one per distinct link")
    print(f"pages fetched: {fetched}")
    print(f"errors: {sum(errors.values())} ({kinds})")
    print(f"peak concurrency: {gauge.peak} (limit {MAX_IN_FLIGHT})")
    print(f"wall time: {time.monotonic() - t0:.2f} s")
    server.close()
    await asyncio.gather(*HANDLERS)  # the silent page's ends once the client has gone
    return fetched


if __name__ == "__main__":
    if asyncio.run(main()) == 0:
        raise SystemExit(1)
