"""What blocks the event loop, and what to do instead, with asyncio.

A ticker coroutine wants to run every 5 ms and records its worst gap.
Reading a big file with a plain ``open().read()`` inside a coroutine
freezes the whole loop; the same read through ``asyncio.to_thread`` runs
on a worker thread while the loop goes on. A CPU-heavy function goes to
the default executor with ``loop.run_in_executor`` (in CPython the GIL
still shares one core between it and the loop, so the ticker slows down
but keeps ticking). Finally two event loops on two threads exchange work:
``asyncio.run_coroutine_threadsafe`` schedules a coroutine on the other
loop, and ``asyncio.wrap_future`` awaits its result.

Standard library only; run it with::

    python3 examples/python/threads.py

The file is 512 MiB unless ``CORIO_THREADS_FILE_MIB`` says otherwise.
Twin: ``examples/threads.rs`` (corio: ``corio::unblock``, shared channels).
"""

import asyncio
import os
import tempfile
import threading
import time

TICK = 0.005


async def ticker(stop):
    """Tick every TICK seconds until ``stop`` is set; return the worst gap."""
    worst = 0.0
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(TICK)
        now = time.monotonic()
        worst = max(worst, now - last)
        last = now
    return worst


async def with_ticker(work):
    """Await ``work()`` while the ticker ticks; return its result and the worst gap."""
    stop = asyncio.Event()
    ticks = asyncio.create_task(ticker(stop))
    await asyncio.sleep(TICK * 3)
    result = await work()
    stop.set()
    return result, await ticks


def read_whole(path):
    with open(path, "rb") as f:
        return len(f.read())


def count_primes(limit):
    """The primes below ``limit``, the slow way: CPU-heavy work."""
    count = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n and n % d:
            d += 1
        if d * d > n:
            count += 1
    return count


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


async def offloading(path, mib):
    await asyncio.to_thread(lambda: open(path, "wb").write(bytes(mib << 20)))

    async def blocking_read():
        return read_whole(path)  # no await inside: the loop is frozen

    size, worst = await with_ticker(blocking_read)
    print(f"open().read() of {size >> 20} MiB in a coroutine: ticker's worst gap {ms(worst)}")

    async def threaded_read():
        return await asyncio.to_thread(read_whole, path)

    size, worst = await with_ticker(threaded_read)
    print(f"the same read through asyncio.to_thread:  ticker's worst gap {ms(worst)}")

    async def crunch():
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, count_primes, 200_000)

    primes, worst = await with_ticker(crunch)
    print(f"{primes} primes below 200,000 via run_in_executor: ticker's worst gap {ms(worst)}")
    await asyncio.to_thread(os.remove, path)


def start_worker_loop():
    """A second event loop serving on a thread of its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    return loop, thread


async def square(n):
    await asyncio.sleep(0)  # a coroutine of the worker loop
    return n * n


async def two_loops(worker):
    futures = [asyncio.run_coroutine_threadsafe(square(n), worker) for n in range(1, 1001)]
    results = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
    total = sum(results)
    print(f"two loops: the worker squared {len(results)} numbers, their sum is {total}")
    assert total == sum(n * n for n in range(1, 1001))


def main():
    mib = int(os.environ.get("CORIO_THREADS_FILE_MIB", "512"))
    path = os.path.join(tempfile.gettempdir(), f"corio-threads-{os.getpid()}.bin")
    asyncio.run(offloading(path, mib))
    worker, thread = start_worker_loop()
    asyncio.run(two_loops(worker))
    worker.call_soon_threadsafe(worker.stop)
    thread.join()


if __name__ == "__main__":
    main()
