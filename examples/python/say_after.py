"""Waiting in sequence versus waiting side by side, with asyncio.

``say_after(delay, what)`` sleeps, then prints a word. Part 1 awaits it twice
in a row (1 s for "hello", then 2 s for "world": about 3 s in all). Part 2
passes both calls to ``asyncio.gather``, so the delays overlap and the part
takes about 2 s, the longer of the two.

Clock readings are the UTC time of day (HH:MM:SS, from ``time.gmtime``) and
elapsed times are rounded to whole seconds, so that the three versions print
the same lines. Standard library only; run it with::

    python3 examples/python/say_after.py

Twins: ``examples/say_after.rs`` (corio) and ``examples/tokio_say_after.rs``
(tokio); all three print the same lines.
"""

import asyncio
import time


async def say_after(delay, what):
    """Sleep for ``delay`` seconds, then print ``what``."""
    await asyncio.sleep(delay)
    print(what)


def clock():
    """The time of day in UTC, formatted like the Rust twins print it."""
    return time.strftime("%H:%M:%S UTC", time.gmtime())


def finish(start):
    """Print the closing clock reading and the whole seconds since ``start``."""
    print(f"finished at {clock()}")
    print(f"took {round(time.monotonic() - start)} s")


async def main():
    print("-- one after the other --")
    start = time.monotonic()
    print(f"started at {clock()}")
    await say_after(1, "hello")
    await say_after(2, "world")
    finish(start)

    print("-- concurrently --")
    start = time.monotonic()
    print(f"started at {clock()}")
    await asyncio.gather(say_after(1, "hello"), say_after(2, "world"))
    finish(start)


if __name__ == "__main__":
    asyncio.run(main())
