"""The Python twin of examples/generators.rs.

The same tour of generators, section by section and with the same values:
send, return values, yielding from recursion, ``yield from`` delegation,
``close()`` and ``finally``, generator states, iteration, and ``throw()``. Standard
library only; run it with::

    python3 examples/python/generators.py

Leave out the Rust program's ``|`` lines (the Python it mirrors) and both
programs' ``#`` lines (notes on where the languages differ), and the two
print the same text.
"""

import inspect
import itertools

STATUS_NAMES = {
    inspect.GEN_CREATED: "Created",
    inspect.GEN_RUNNING: "Running",
    inspect.GEN_SUSPENDED: "Suspended",
    inspect.GEN_CLOSED: "Complete",
}


def status(gen):
    """The generator's state, named as corio's Status names it."""
    return STATUS_NAMES[inspect.getgeneratorstate(gen)]


def section(title):
    print(f"\n== {title} ==")


def note(text):
    print(f"  # {text}")


def resume(gen, value=None):
    """Sends value in and describes the outcome like corio's GeneratorState."""
    try:
        return f"yielded {gen.send(value)}"
    except StopIteration as stop:
        return f"returned {stop.value!r}"


# a. send ------------------------------------------------------------------

def averager():
    total, count, average = 0, 0, None
    while True:
        total += yield average
        count += 1
        average = total / count


def send_running_average():
    section("a. send: a running average")
    note("next(g) runs the body to its first yield before anything can be sent")
    gen = averager()
    next(gen)
    for x in [10, 20, 45]:
        print(f"  send {x} -> average {gen.send(x):.1f}")


# b. return value ----------------------------------------------------------

def shout(words):
    for word in words:
        yield word.upper()
    return len(words)


def return_value():
    section("b. return value: StopIteration.value becomes Complete")
    gen = shout(["ready", "set", "go"])
    while status(gen) != "Complete":
        print(f"  {resume(gen)}")


# c. yielding from nested calls --------------------------------------------

def walk(tree, depth=0):
    if tree is not None:
        left, value, right = tree
        yield from walk(left, depth + 1)
        yield value, depth
        yield from walk(right, depth + 1)


def recursive_walk():
    section("c. yielding from nested calls: an in-order tree walk")
    note("every level of the recursion is a generator of its own, chained by yield from")

    def leaf(value):
        return (None, value, None)

    tree = ((leaf(1), 2, leaf(3)), 4, (leaf(5), 6, leaf(7)))
    values, depths = zip(*walk(tree))
    print(f"  values: {list(values)}")
    print(f"  depths: {list(depths)}")


# d. yield from delegation (PEP 380) ---------------------------------------

def accumulate():
    total = 0
    while (x := (yield total)) is not None:
        total += x
    return total


def gather():
    tallies = []
    for _ in range(2):
        tally = yield from accumulate()
        print(f"  outer got {tally}")
        tallies.append(tally)
    return tallies


def delegation():
    section("d. yield_from: delegating to a sub-generator (PEP 380)")
    gen = gather()
    for sent in "None 1 2 3 None 10 20 None".split():
        value = None if sent == "None" else int(sent)
        print(f"  send {sent} -> {resume(gen, value)}")


# e. close() and finally ---------------------------------------------------

def ticker(name):
    try:
        yield from itertools.count(1)
    finally:
        print(f"  cleanup: {name}")


def close_and_drop():
    section("e. close(): finally blocks become destructors")
    closed = ticker("closed while suspended")
    print(f"  resume -> {resume(closed)}")
    print(f"  resume -> {resume(closed)}")
    print("  close()")
    closed.close()
    print(f"  status after close: {status(closed)}")

    dropped = ticker("dropped while suspended")
    print(f"  resume -> {resume(dropped)}")
    print("  drop (Python: del)")
    del dropped  # CPython's reference counting finalizes it right here

    print("  close() before the first resume: the body never ran, nothing to clean up")
    ticker("never printed").close()


# f. status ----------------------------------------------------------------

def two_steps():
    yield "one"
    yield "two"
    return 2


def looks_at_itself():
    """Receives itself, then reports what it sees while it is running."""
    me = yield
    seen = status(me)
    try:
        next(me)
    except ValueError as error:
        yield seen, error


def generator_status():
    section("f. status: inspect.getgeneratorstate / coroutine.status")
    gen = two_steps()
    print(f"  status: {status(gen)}")
    while status(gen) != "Complete":
        state = resume(gen)
        print(f"  resume -> {state}, status: {status(gen)}")
    probe = looks_at_itself()
    next(probe)
    seen, error = probe.send(probe)
    note(f"from inside its own body a generator's status is {seen};")
    note(f"resuming it from there raises ValueError: {error}")


# g. iteration -------------------------------------------------------------

def fibonacci():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


def iterator():
    section("g. iterator: corio::r#gen and Iterator::take")
    print(f"  {list(itertools.islice(fibonacci(), 10))}")


# h. throw ----------------------------------------------------------------

class Reset(Exception):
    """Thrown in to start the counter again."""


class Stop(Exception):
    """Thrown in and not caught: it ends the counter."""


def counter(name):
    try:
        n = 0
        while True:
            n += 1
            try:
                yield n
            except Reset:
                print(f"  {name} caught Reset")
                n = 0
    finally:
        print(f"  cleanup: {name}")


def delegator():
    return (yield from counter("delegate"))


def throw_and_show(gen, exc):
    """Throws exc in and describes the outcome like corio's GeneratorState."""
    try:
        return f"yielded {gen.throw(exc)}"
    except StopIteration as stop:
        return f"returned {stop.value!r}"
    except (Reset, Stop) as escaped:
        return f"came back out: {type(escaped).__name__}"


def throw():
    section("h. throw: raising at the paused yield")
    note("the exception is raised at the paused yield; except clauses there can handle it")
    gen = counter("counter")
    print(f"  resume -> {resume(gen)}")
    print(f"  resume -> {resume(gen)}")
    print(f"  throw(Reset) -> {throw_and_show(gen, Reset())}")
    print(f"  throw(Stop) -> {throw_and_show(gen, Stop())}")
    print(f"  status after throw: {status(gen)}")

    print("  through yield from: the innermost generator gets the throw first")
    outer = delegator()
    print(f"  resume -> {resume(outer)}")
    print(f"  throw(Reset) -> {throw_and_show(outer, Reset())}")
    print("  close()")
    outer.close()

    unstarted = counter("never started")
    print(f"  throw(Reset) before the first resume -> {throw_and_show(unstarted, Reset())}")
    print(f"  status after throw: {status(unstarted)}")


def main():
    print("Generators in Python and corio, side by side")
    send_running_average()
    return_value()
    recursive_walk()
    delegation()
    close_and_drop()
    generator_status()
    iterator()
    throw()


if __name__ == "__main__":
    main()
