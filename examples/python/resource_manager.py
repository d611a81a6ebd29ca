"""A resource manager whose acquire and release take time, with asyncio.

``ResourceManager.acquire(id)`` and ``release(id)`` are coroutines that take
a while (a sleep stands in for the real work) and print what they did.

Part 1: five coroutines (resources 0 to 4) each acquire their resource (1 s),
use it (2 s) and release it (1 s). ``asyncio.gather`` runs them as tasks
together, so the part takes about 4 s, not 20 s. As in the original article,
``use_resource`` prints "Released resource N" a second time after
``release`` returns.

Part 2: at most two tasks may hold a resource at once, enforced by an
``asyncio.Semaphore(2)``, whose waiters are served first come, first served.
Part 1's timings would give three waves of 4 s (12 s), so part 2 runs at a
quarter of the pace: 0.25 s to acquire, 0.5 s of use, 0.25 s to release,
with arrivals 0.1 s apart so that no two events coincide. Tasks 0 and 1 get
permits at once, 2 and 3 take over at 1.0 s and 1.1 s, 4 at 2.0 s, and the
part ends after about 3 s.

Standard library only; run it with::

    python3 examples/python/resource_manager.py

Twins: ``examples/resource_manager.rs`` (corio) and
``examples/tokio_resource_manager.rs`` (tokio); all three print the same
lines.
"""

import asyncio
import time


class ResourceManager:
    """Hands out resources; taking or giving one back costs ``handling`` s."""

    def __init__(self, handling):
        self.handling = handling
        self.held = set()

    async def acquire(self, rid):
        await asyncio.sleep(self.handling)
        print(f"Acquired resource {rid}")
        self.held.add(rid)

    async def release(self, rid):
        await asyncio.sleep(self.handling)
        print(f"Released resource {rid}")
        self.held.discard(rid)


async def use_resource(manager, rid, busy):
    """Acquire resource ``rid``, work with it for ``busy`` s, release it."""
    await manager.acquire(rid)
    print(f"Using resource {rid}")
    await asyncio.sleep(busy)
    await manager.release(rid)
    print(f"Released resource {rid}")


async def use_with_permit(manager, permits, rid):
    """Arrive ``rid`` x 0.1 s late, queue for a permit, use resource ``rid``."""
    await asyncio.sleep(0.1 * rid)
    if permits.locked():
        print(f"task {rid} waits for a permit")
    async with permits:
        print(f"task {rid} got a permit")
        await use_resource(manager, rid, 0.5)
    print(f"task {rid} gave its permit back")


async def main():
    print("-- part 1: five tasks at once --")
    start = time.monotonic()
    manager = ResourceManager(1)
    await asyncio.gather(*(use_resource(manager, rid, 2) for rid in range(5)))
    assert not manager.held
    print(f"part 1 took {round(time.monotonic() - start)} s")

    print("-- part 2: at most two holders --")
    start = time.monotonic()
    manager = ResourceManager(0.25)
    permits = asyncio.Semaphore(2)
    await asyncio.gather(*(use_with_permit(manager, permits, rid) for rid in range(5)))
    assert not manager.held
    print(f"part 2 took {round(time.monotonic() - start)} s")


if __name__ == "__main__":
    asyncio.run(main())
