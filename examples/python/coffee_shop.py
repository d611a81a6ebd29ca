"""A coffee shop with one barista, written with asyncio.

Alice, Bob and Charlie order at the same moment: ``asyncio.gather`` wraps
each ``order_coffee`` coroutine in a task. Each prints that the customer
ordered, awaits a 2 s brew, and prints that the coffee is ready. While one
cup brews the event loop takes the next order, so all three orders come
first, all three cups are ready about 2 s later, and serving everyone takes
about 2 s rather than 6 s.

Standard library only; run it with::

    python3 examples/python/coffee_shop.py

Twins: ``examples/coffee_shop.rs`` (corio) and
``examples/tokio_coffee_shop.rs`` (tokio); all three print the same lines.
"""

import asyncio
import time

BREW_TIME = 2  # seconds for one cup


async def order_coffee(customer):
    """One customer's visit: order, wait for the brew, collect the cup."""
    print(f"{customer} ordered coffee")
    await asyncio.sleep(BREW_TIME)
    print(f"{customer}'s coffee is ready")


async def main():
    customers = ["Alice", "Bob", "Charlie"]
    start = time.monotonic()
    await asyncio.gather(*(order_coffee(name) for name in customers))
    seconds = round(time.monotonic() - start)
    print(f"served {len(customers)} customers in {seconds} s")


if __name__ == "__main__":
    asyncio.run(main())
