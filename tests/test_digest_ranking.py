"""The digest's greedy diversity ranking: the same order as picking the best item afresh at
every step, and a day of thousands of stories of one actor type ranked without re-scoring
every story at each pick (the soak's day of about 7,000 stories took minutes)."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

from pipeline.publish.digest import (
    RANK_WEIGHTS,
    _actor_types,
    _base_score,
    rank_items,
)
from pipeline.records import DigestSource


@dataclasses.dataclass(frozen=True)
class _Story:
    id: str
    actors: tuple[dict[str, object], ...]
    license_events: tuple[dict[str, object], ...]
    risk_themes: tuple[dict[str, object], ...]
    sources: tuple[DigestSource, ...]


def _story(n: int, rng: random.Random, kinds: list[str]) -> _Story:
    actors = tuple({"type": kind} for kind in rng.sample(kinds, rng.randint(0, 2)))
    themes = tuple({"score": round(rng.random(), 2)} for _ in range(rng.randint(0, 3)))
    sources = tuple(DigestSource("site", f"https://s.test/{n}/{k}", None) for k in range(3))
    return _Story(
        id=f"s-{n}",
        actors=actors,
        license_events=tuple({"event": "x"} for _ in range(rng.randint(0, 2))),
        risk_themes=themes,
        sources=sources[: rng.randint(1, 3)],
    )


def _reference(items: list[_Story]) -> list[str]:
    """The greedy re-rank done the slow, obvious way: score every item left at each pick."""
    seen: Counter[str] = Counter()
    left = list(items)
    order = []
    while left:

        def key(item: _Story) -> tuple[float, int, str]:
            kinds = _actor_types(item)
            penalty = RANK_WEIGHTS["repeat_actor_type"] * sum(seen[k] for k in kinds)
            return (-(_base_score(item) - penalty / len(kinds)), int(item.id[2:]), item.id)

        best = min(left, key=key)
        left.remove(best)
        order.append(best.id)
        seen.update(_actor_types(best))
    return order


def test_the_ranking_is_the_greedy_best_pick_at_every_step() -> None:
    rng = random.Random(7)
    kinds = ["big_tech", "research", "startup", "government"]
    for size in (0, 1, 2, 5, 40, 300):
        items = [_story(n, rng, kinds) for n in range(size)]
        rng.shuffle(items)
        assert [i.id for i in rank_items(items)] == _reference(items)


def test_thousands_of_stories_of_one_actor_type_rank_by_score_then_id() -> None:
    # every story names the same kind of actor: the penalty is the same for all of them at
    # each step, so the order is the base score's, ties by id
    rng = random.Random(3)
    items = [_story(n, rng, ["big_tech", "research"]) for n in range(20_000)]
    items = [dataclasses.replace(i, actors=({"type": "big_tech"},)) for i in items]
    ranked = rank_items(items)
    expected = sorted(items, key=lambda i: (-_base_score(i), int(i.id[2:])))
    assert [i.id for i in ranked] == [i.id for i in expected]
