"""The Python twin of examples/generators_vs_async.rs (standard library only).

The same producer as a Python generator, then the two things the corio
version does with a stackful generator:

(a) yield from a plain nested function (a recursive tree walk), and
(b) yield from inside a callback that a library function calls (the
    comparator of a sort).

A Python generator is stackless: `yield` suspends exactly one frame, the
generator function's own. (a) therefore works only if every level of the
recursion is itself a generator re-yielding with `yield from`, and (b) does
not work at all: `sorted` is C code calling our comparator, and there is no
way to suspend `sorted` in the middle.

Run: python3 examples/python/generators_vs_async.py
"""

import functools


def collatz(start):
    """The shared producer: the Collatz sequence from `start` down to 1."""
    n = start
    yield n
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        yield n


class Tree:
    def __init__(self, value, left=None, right=None):
        self.value, self.left, self.right = value, left, right


def balanced(letters):
    """A balanced tree holding `letters` in order."""
    if not letters:
        return None
    mid = len(letters) // 2
    return Tree(letters[mid], balanced(letters[:mid]), balanced(letters[mid + 1:]))


def walk_plain(node, depth=0):
    """The corio version's shape: recurse with plain calls, yield each node.

    Having `yield` in its body makes this a generator function, so the
    recursive calls below only *create* generators, which are then dropped
    unstarted: the subtrees are silently skipped.
    """
    if node.left:
        walk_plain(node.left, depth + 1)  # a generator object, never run
    yield depth, node.value
    if node.right:
        walk_plain(node.right, depth + 1)


def walk(node, depth=0):
    """What works: every level is a generator and re-yields with `yield from`."""
    if node.left:
        yield from walk(node.left, depth + 1)
    yield depth, node.value
    if node.right:
        yield from walk(node.right, depth + 1)


def note(text):
    for line in text.strip().splitlines():
        print("  # " + line.strip())


def main():
    print("== the shared producer: Collatz from 6, as a Python generator ==")
    print("  " + str(list(collatz(6))))
    note("a generator function; `yield n` suspends its one frame mid-loop")

    print("\n== (a) yield from a plain nested function ==")
    tree = balanced("abcdefg")
    shown = " ".join(f"{c}@{d}" for d, c in walk_plain(tree))
    print(f"  plain recursive calls (letter@depth): {shown}")
    note("""
        only the root came out: a function containing `yield` is a generator,
        and calling one without `yield from` (or iterating it) runs nothing
    """)
    shown = " ".join(f"{c}@{d}" for d, c in walk(tree))
    print(f"  with `yield from` at every level:     {shown}")
    note("""
        correct, but every function on the path must be a generator, and each
        value is handed up through one `yield from` per level (cost ~ depth)
    """)

    print("\n== (b) yield from inside a library's callback: sorted() asks us? ==")
    words = ["pear", "fig", "banana", "kiwi", "apple", "plum"]
    print(f"  sorting {words} with sorted(), comparisons answered outside?")

    def comparator_that_yields(a, b):
        # The corio version's comparator: hand the pair out, get a verdict back.
        verdict = yield (a, b)
        return verdict

    try:
        sorted(words, key=functools.cmp_to_key(comparator_that_yields))
        print("  (unexpectedly, that worked)")
    except TypeError as error:
        print(f"  sorted() raised TypeError: {error}")
    note("""
        the `yield` turned the comparator into a generator function: sorted()
        got a generator object where it wanted a number. A `yield` suspends
        only its own frame, never the frames of sorted() that called it (C or
        Python alike), so the consumer can never answer. The way out is to
        write the sort itself as a generator, as below: the library's sort
        cannot be reused. (The third-party greenlet package adds stackful
        switching to CPython, the idea corio's generators rest on.)
    """)

    def insertion_sort(items):
        """A hand-written sort that is itself a generator: yields each pair."""
        items = list(items)
        for i in range(1, len(items)):
            j = i
            while j > 0 and (yield (items[j - 1], items[j])) > 0:
                items[j - 1], items[j] = items[j], items[j - 1]
                j -= 1
        return items

    sorter = insertion_sort(words)
    asked = 0
    try:
        a, b = next(sorter)
        while True:
            verdict = (len(a), a) > (len(b), b)  # shorter first, ties alphabetical
            asked += 1
            a, b = sorter.send(1 if verdict else -1)
    except StopIteration as done:
        print(f"  our own insertion sort, after {asked} questions: {done.value}")
    note("""
        it works because the whole sort lives in one generator frame; corio's
        version suspends std's sort_by instead, callback frame and all
    """)


if __name__ == "__main__":
    main()
