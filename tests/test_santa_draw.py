"""The draw on its own: nobody draws themselves, an excluded partner or (when asked) last time's
recipient; every valid assignment comes out with equal odds; impossible rule sets are named."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from piglist.santa import draw as drawing
from piglist.santa.draw import Impossible, Rules

A, B, C, D, E, F = 1, 2, 3, 4, 5, 6


def valid_assignments(rules: Rules) -> list[tuple[int, ...]]:
    people = rules.people
    return [
        perm
        for perm in itertools.permutations(people)
        if all(rules.allows(s, r) for s, r in zip(people, perm, strict=True))
    ]


def test_nobody_draws_themselves_or_their_partner_over_many_draws():
    rules = Rules((A, B, C, D, E, F), frozenset({frozenset((A, B)), frozenset((C, D))}))
    rng = random.Random(26)
    for _ in range(2000):
        pairs = drawing.draw(rules, rng)
        assert sorted(pairs) == sorted(pairs.values()) == [A, B, C, D, E, F]
        for santa, recipient in pairs.items():
            assert santa != recipient
            assert frozenset((santa, recipient)) not in rules.excluded


def test_nobody_draws_last_times_recipient_when_asked_over_many_draws():
    previous = {A: B, B: C, C: D, D: E, E: F, F: A}
    rules = Rules((A, B, C, D, E, F), frozenset({frozenset((A, F))}), previous)
    rng = random.Random(7)
    for _ in range(2000):
        pairs = drawing.draw(rules, rng)
        assert all(previous[s] != r and s != r for s, r in pairs.items())
        assert pairs[A] != F and pairs[F] != A


def drawn(rules: Rules, rng: random.Random) -> tuple[int, ...]:
    """One draw, as the recipients in the order of ``rules.people``."""
    pairs = drawing.draw(rules, rng)
    return tuple(pairs[p] for p in rules.people)


def chi_square(counts: Counter, outcomes: list, draws: int) -> float:
    expected = draws / len(outcomes)
    return sum((counts[o] - expected) ** 2 / expected for o in outcomes)


def test_four_people_get_all_nine_derangements_with_equal_odds():
    rules = Rules((A, B, C, D))
    outcomes = valid_assignments(rules)
    assert len(outcomes) == 9
    rng = random.Random(2026)
    draws = 9000
    counts = Counter(drawn(rules, rng) for _ in range(draws))
    assert set(counts) == set(outcomes)
    # 8 degrees of freedom: the chi-square test accepts uniformity at the 0.1 % level below 26.12.
    assert chi_square(counts, outcomes, draws) < 26.12


def test_with_a_couple_excluded_every_valid_draw_still_has_equal_odds():
    rules = Rules((A, B, C, D, E), frozenset({frozenset((A, B))}))
    outcomes = valid_assignments(rules)
    rng = random.Random(5)
    draws = 200 * len(outcomes)
    counts = Counter(drawn(rules, rng) for _ in range(draws))
    assert set(counts) == set(outcomes)
    assert len(outcomes) == 24
    # 23 degrees of freedom: the 0.1 % critical value is 49.73.
    assert chi_square(counts, outcomes, draws) < 49.73


def test_the_guided_draw_for_very_tight_rules_is_still_valid(monkeypatch):
    monkeypatch.setattr(drawing, "MAX_SHUFFLES", 0)
    rules = Rules((A, B, C, D, E), frozenset({frozenset((A, B)), frozenset((C, D))}), {A: C, B: D})
    outcomes = set(valid_assignments(rules))
    rng = random.Random(1)
    seen = {drawn(rules, rng) for _ in range(500)}
    assert seen == outcomes


def test_a_person_excluded_from_everyone_is_named():
    rules = Rules((A, B, C), frozenset({frozenset((A, B)), frozenset((A, C))}))
    with pytest.raises(Impossible) as caught:
        drawing.draw(rules)
    assert (caught.value.rule, caught.value.stuck) == ("exclusions", A)


def test_exclusions_that_leave_no_draw_are_found_by_matching_not_by_giving_up():
    # Nobody is left without a candidate, yet A and B both can only draw C.
    rules = Rules((A, B, C), frozenset({frozenset((A, B))}))
    with pytest.raises(Impossible) as caught:
        drawing.draw(rules)
    assert caught.value.rule == "exclusions"


def test_avoiding_last_times_pairs_is_named_when_it_is_what_makes_it_impossible():
    rules = Rules((A, B, C), previous={A: B, B: A, C: D})
    assert drawing.draw(Rules((A, B, C)))  # possible without it
    with pytest.raises(Impossible) as caught:
        drawing.draw(rules)
    assert caught.value.rule == "avoid_previous"


def test_a_big_family_draws_at_once():
    people = tuple(range(1, 61))
    couples = frozenset(frozenset((n, n + 1)) for n in range(1, 61, 2))
    previous = {n: n % 60 + 1 for n in people}
    pairs = drawing.draw(Rules(people, couples, previous), random.Random(3))
    assert sorted(pairs.values()) == list(people)
