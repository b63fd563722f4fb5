"""The name draw itself, apart from the database so it can be checked over thousands of draws.

Why it is written this way: families ask for two things of a draw app, that it is fair and that
it says clearly when their rules can't be met. Fair means every valid assignment can come out
with the same odds, so the draw shuffles everyone and keeps the first shuffle that breaks no
rule (rejection sampling: uniform over the valid assignments by construction). Whether any
valid assignment exists at all is decided first, exactly, as a perfect matching between givers
and receivers, so "impossible" is a proof, never "gave up after N tries", and names the rule
that makes it so.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

# Shuffles tried before falling back to a guided draw. At family sizes, even with a couple or
# two excluded and last year avoided, well over one shuffle in twenty is valid, so the bound is
# only ever reached by rule sets that leave a handful of valid assignments among millions.
MAX_SHUFFLES = 20_000


@dataclass(frozen=True)
class Rules:
    """Who takes part, which pairs must not draw each other (either way), and whom each person
    must not draw again (last exchange's recipient, when asked to avoid it)."""

    people: tuple[int, ...]
    excluded: frozenset[frozenset[int]] = frozenset()
    previous: Mapping[int, int] = field(default_factory=dict)

    def allows(self, santa: int, recipient: int) -> bool:
        return (
            santa != recipient
            and frozenset((santa, recipient)) not in self.excluded
            and self.previous.get(santa) != recipient
        )


class Impossible(Exception):
    """No valid assignment exists. ``rule`` is the one that makes it so ("exclusions" or
    "avoid_previous"); ``stuck`` a person left with nobody at all to draw, if there is one."""

    def __init__(self, rule: str, stuck: int | None = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.stuck = stuck


def has_assignment(people: Sequence[int], allows: Callable[[int, int], bool]) -> bool:
    """Whether everyone can be given a different recipient: a perfect matching between givers and
    receivers, found by augmenting paths (Kuhn's algorithm; n ≤ a few hundred)."""
    holder: dict[int, int] = {}  # recipient -> santa

    def place(santa: int, seen: set[int]) -> bool:
        for recipient in people:
            if recipient in seen or not allows(santa, recipient):
                continue
            seen.add(recipient)
            if recipient not in holder or place(holder[recipient], seen):
                holder[recipient] = santa
                return True
        return False

    return all(place(santa, set()) for santa in people)


def check_possible(rules: Rules) -> None:
    """Raise :class:`Impossible` naming the rule that leaves no valid draw. The exclusions are
    tried first without last year's pairs, so the answer names the rule that actually breaks it."""
    people = rules.people
    alone = Rules(people, rules.excluded)
    if not has_assignment(people, alone.allows):
        raise Impossible("exclusions", _stuck(people, alone.allows))
    if rules.previous and not has_assignment(people, rules.allows):
        raise Impossible("avoid_previous", _stuck(people, rules.allows))


def _stuck(people: Sequence[int], allows: Callable[[int, int], bool]) -> int | None:
    return next((p for p in people if not any(allows(p, r) for r in people)), None)


def draw(rules: Rules, rng: random.Random | None = None) -> dict[int, int]:
    """A random valid assignment, santa -> recipient, uniform over all valid ones."""
    check_possible(rules)
    rng = rng or random.SystemRandom()
    people = list(rules.people)
    for _ in range(MAX_SHUFFLES):
        recipients = people[:]
        rng.shuffle(recipients)
        if all(rules.allows(s, r) for s, r in zip(people, recipients, strict=True)):
            return dict(zip(people, recipients, strict=True))
    return _guided(rules, rng)


def _guided(rules: Rules, rng: random.Random) -> dict[int, int]:
    """For rule sets so tight that shuffles almost never land: give each person in turn a random
    recipient among those that still leave everyone else a valid one. Always succeeds (a valid
    assignment exists); every valid assignment can come out, though not with exactly equal odds."""
    chosen: dict[int, int] = {}
    people = list(rules.people)
    for santa in people:
        candidates = [r for r in people if rules.allows(santa, r) and r not in chosen.values()]
        rng.shuffle(candidates)
        for recipient in candidates:
            trial = {**chosen, santa: recipient}
            taken = set(trial.values())

            def allows(s: int, r: int, trial=trial, taken=taken) -> bool:
                if s in trial:
                    return trial[s] == r
                return r not in taken and rules.allows(s, r)

            if has_assignment(people, allows):
                chosen = trial
                break
    return chosen
