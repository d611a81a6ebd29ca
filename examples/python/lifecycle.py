"""The asyncio side of examples/lifecycle.rs: one fetch, step by step.

Run it with `python3 examples/python/lifecycle.py` (standard library only).

The article draws a coroutine's life as: start -> await I/O (yield control
to the event loop) -> the loop watches for the data -> I/O completes ->
resume the coroutine -> done. asyncio has no built-in trace, so this
program logs those steps itself, from two places:

* a selector subclass handed to the event loop, which logs each interest
  registered with epoll, each wait in epoll and each socket reported ready;
* a wrapper that drives the fetch coroutine exactly as a Task would (send a
  value in, receive the future it waits on), which logs each resume, each
  suspension with the future it awaits, the moment that future completes
  (the wake-up), and the return.

Then it matches each stage of the drawing to the first logged event after
the previous stage, as the Rust version does with corio's recorded events.
One difference shows: in asyncio the event loop registers a socket with
epoll (in a callback, on behalf of the transport), not the coroutine.
"""

import asyncio
import selectors
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ beside the examples
from fetch_urls import start_server  # noqa: E402 (the same local server as fetch_urls.py)

# The recording: (seconds since it began, who, message), or None when off.
RECORDING = None
RECORDING_START = 0.0
# The descriptor of the fetch's socket, once it is connected.
CLIENT_FD = None


def record(who, message):
    if RECORDING is not None:
        RECORDING.append((time.perf_counter() - RECORDING_START, who, message))


def start_recording():
    global RECORDING, RECORDING_START
    RECORDING, RECORDING_START = [], time.perf_counter()


def finish_recording():
    global RECORDING
    events, RECORDING = RECORDING, None
    return events


def describe_mask(mask):
    names = []
    if mask & selectors.EVENT_READ:
        names.append("read")
    if mask & selectors.EVENT_WRITE:
        names.append("write")
    return "+".join(names) or "nothing"


class TracingSelector(selectors.DefaultSelector):
    """The loop's selector (epoll on Linux), logging what the loop asks of it."""

    def register(self, fileobj, events, data=None):
        key = super().register(fileobj, events, data)
        record("loop", f"registers interest in fd {key.fd} ({describe_mask(events)}) with epoll")
        return key

    def modify(self, fileobj, events, data=None):
        key = super().modify(fileobj, events, data)
        record("loop", f"changes interest in fd {key.fd} to ({describe_mask(events)})")
        return key

    def select(self, timeout=None):
        # A zero timeout is a quick check between callbacks, not a wait.
        if timeout is None:
            record("loop", "waits in epoll until I/O arrives")
        elif timeout > 0:
            record("loop", f"waits in epoll for up to {timeout:.3f} s")
        ready = super().select(timeout)
        for key, mask in ready:
            readable = bool(mask & selectors.EVENT_READ)
            writable = bool(mask & selectors.EVENT_WRITE)
            record("loop", f"I/O ready: fd {key.fd} readable={readable} writable={writable}")
        return ready


class Traced:
    """Awaitable that runs `coro` step by step, as a Task does, logging as `who`."""

    def __init__(self, coro, who):
        self.coro, self.who = coro, who

    def _woken(self, _future):
        record(self.who, "woken (the future it awaits is done)")

    def __await__(self):
        step, value = self.coro.send, None
        while True:
            record(self.who, "resumed (the loop runs its next step)")
            try:
                awaited = step(value)
            except StopIteration as done:
                record(self.who, "finished: returned")
                return done.value
            what = type(awaited).__name__ if awaited is not None else "nothing (a bare yield)"
            record(self.who, f"parked: awaits a {what} (yields control to the event loop)")
            if asyncio.isfuture(awaited):
                awaited.add_done_callback(self._woken)
            try:
                # Hand the future up to the Task, which waits for it.
                value, step = (yield awaited), self.coro.send
            except BaseException as error:  # cancellation, for instance
                value, step = error, self.coro.throw


async def run_traced(coro, who):
    """A coroutine for create_task that runs `coro` under the tracing wrapper."""
    return await Traced(coro, who)


async def fetch(url):
    """GET an http://host:port/path URL; return the body as text."""
    global CLIENT_FD
    authority, _, path = url.removeprefix("http://").partition("/")
    host, _, port = authority.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    CLIENT_FD = writer.get_extra_info("socket").fileno()
    try:
        writer.write(
            f"GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")  # parks until the reply comes
        length = None
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await (reader.readexactly(length) if length is not None else reader.read())
        return body.decode()
    finally:
        writer.close()


async def fetch_and_report(url):
    print(f"Starting: {url}")
    text = await fetch(url)
    print(f"Done: {url} -> {len(text)} characters")


def is_task(event, message_start):
    return event[1] == "task" and event[2].startswith(message_start)


def client_read_interest(event):
    return event[1] == "loop" and event[2].startswith(
        f"registers interest in fd {CLIENT_FD} (read"
    )


# The drawing's steps: (name, what asyncio does then, how to recognise it).
STAGES = [
    ("Start", "the task is created", lambda e: is_task(e, "created")),
    ("Start", 'it runs for the first time and logs "Starting"', lambda e: is_task(e, "resumed")),
    ("await I/O", "the loop registers the socket for reading", client_read_interest),
    (
        "yield control to the event loop",
        "the coroutine suspends at readuntil()",
        lambda e: is_task(e, "parked"),
    ),
    (
        "event loop watches for the data",
        "nothing to run: the loop waits in epoll",
        lambda e: e[1] == "loop" and e[2].startswith("waits in epoll"),
    ),
    (
        "I/O completes",
        "epoll reports the socket readable",
        lambda e: e[1] == "loop" and e[2].startswith(f"I/O ready: fd {CLIENT_FD} readable=True"),
    ),
    ("resume coroutine", "the awaited future is done", lambda e: is_task(e, "woken")),
    (
        "resume coroutine",
        "the coroutine continues after its await",
        lambda e: is_task(e, "resumed"),
    ),
    ("Done", 'the coroutine returned; it logged "Done" just before', lambda e: is_task(e, "finished")),
]


def show(event):
    at, who, message = event
    return f"{at * 1e3:.3f} ms  {who:<5} {message}"


def print_lifecycle(events):
    """Print each stage with the first event after the previous one that
    matches it; return whether all were found."""
    position = 0
    for i, (name, detail, matches) in enumerate(STAGES):
        if i > 0:
            print("      |")
        found = next((j for j in range(position, len(events)) if matches(events[j])), None)
        if found is None:
            print(f"  {name:<32} (no matching event logged)")
            return False
        position = found + 1
        print(f"  {name:<32} {events[found][0] * 1e3:>9.3f} ms  {detail}")
        print(f"      event: {show(events[found])}")
    return True


async def main():
    server, port = await start_server()
    async with server:
        url = f"http://127.0.0.1:{port}/delay/1"
        start_recording()
        record("task", "created (asyncio.create_task)")
        await asyncio.create_task(run_traced(fetch_and_report(url), "task"))
        return finish_recording()


def run():
    loop = asyncio.SelectorEventLoop(TracingSelector())
    try:
        events = loop.run_until_complete(main())
        # As asyncio.run does: cancel what is left (the server's tasks).
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
    finally:
        loop.close()
    print()
    print("The lifecycle of the fetch task, matched to its logged events:")
    complete = print_lifecycle(events)
    print()
    print(f"All {len(events)} events (fd {CLIENT_FD} is the fetch's socket):")
    for event in events:
        print(f"  {show(event)}")
    return complete


if __name__ == "__main__":
    raise SystemExit(0 if run() else 1)
