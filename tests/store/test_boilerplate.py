from __future__ import annotations

from collections import Counter

from newscorpus.store.boilerplate import most_common


def test_ties_come_in_the_order_of_their_keys_whatever_the_order_counted() -> None:
    """The boilerplate report must not depend on the order a crawl archived pages in."""
    lines = [("learned_line", "Make sure …"), ("learned_line", "Abonnieren …"), ("rule", "©")]
    first = Counter(dict(zip(lines, (4, 4, 7), strict=True)))
    second = Counter(dict(zip(lines[::-1], (7, 4, 4), strict=True)))
    assert first == second and list(first) != list(second)
    assert (
        most_common(first)
        == most_common(second)
        == [
            (("rule", "©"), 7),
            (("learned_line", "Abonnieren …"), 4),
            (("learned_line", "Make sure …"), 4),
        ]
    )
    assert most_common(Counter({"b": 1, "a": 1, "c": 2}), 2) == [("c", 2), ("a", 1)]
