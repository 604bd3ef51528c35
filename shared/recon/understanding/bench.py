"""Interpretation throughput on a generated store, for `make bench`: texts per second, one core."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

from recon.domain.stages import Stage
from recon.understanding.interpret import interpret
from recon.understanding.units import UnitIndex
from recon.understanding.views import Context, SenderView, UnitView, WorkItemView

_MODELS = (
    ("Chevrolet", "Silverado 1500"), ("Chevrolet", "Equinox"), ("Chevrolet", "Tahoe"),
    ("Ford", "F-150"), ("Ford", "Explorer"), ("Ford", "Escape"), ("Toyota", "Camry"),
    ("Toyota", "Corolla"), ("Toyota", "RAV4"), ("Toyota", "Tacoma"), ("Honda", "Accord"),
    ("Honda", "Civic"), ("Honda", "CR-V"), ("Nissan", "Altima"), ("Nissan", "Rogue"),
    ("Jeep", "Grand Cherokee"), ("Jeep", "Wrangler"), ("Hyundai", "Tucson"), ("Kia", "Sorento"),
    ("Subaru", "Outback"), ("Ram", "1500"), ("GMC", "Sierra 1500"), ("Mazda", "CX-5"),
)  # fmt: skip
_COLORS = (
    "Summit White", "Black", "Magnetic Gray Metallic", "Silver Ice Metallic", "Ruby Red",
    "Velocity Blue", "Oxford White", "Crystal Black Pearl", "Autumn Green", "Iconic Silver",
)  # fmt: skip
_ITEMS = ("front brakes", "4 tires", "alignment", "windshield", "battery", "A/C compressor")
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_TEMPLATES = (
    "{stock} done", "{stock} to detail", "{stock} brakes done", "{stock} waiting on parts eta friday",
    "{stock} inspected, needs front brakes and 2 tires", "the {color} {model} to the shop",
    "where is {stock}?", "{stock} pics done", "send {stock} to safelite for windshield",
    "{stock} back from the body shop", "{stock} parts came in", "{stock} approved",
    "{stock} {other} and {third} to photos", "note: {stock} customer wants it friday",
    "we owe 2nd key {stock}", "brakes done", "got it {stock}", "{stock} listo", "STOP",
    "waiting on parts for the {model} eta tmrw", "{stock}\nneeds wipers\nbattery",
)  # fmt: skip
_ROLES = ("technician", "detailer", "photographer", "porter", "sales", "used_car_manager")


def make_store(n_units: int, *, seed: int = 7) -> list[UnitView]:
    """A plausible store: stock numbers 10000+, a few with letter prefixes, real VIN shapes."""
    rng = random.Random(seed)
    units: list[UnitView] = []
    stages = [stage.value for stage in Stage if stage is not Stage.SOLD]
    for number in range(n_units):
        make, model = rng.choice(_MODELS)
        stock = f"{10000 + number * 7}"
        if number % 9 == 0:
            stock = "A" + stock
        unit_id = f"unit-{number}"
        items = tuple(
            WorkItemView(id=f"{unit_id}-w{i}", name=name, status="open")
            for i, name in enumerate(rng.sample(_ITEMS, rng.randint(0, 2)))
        )
        units.append(
            UnitView(
                id=unit_id,
                stock_number=stock,
                vin="".join(rng.choice(_VIN_CHARS) for _ in range(17)),
                year=rng.randint(2012, 2024),
                make=make,
                model=model,
                trim=None,
                exterior_color=rng.choice(_COLORS),
                stage=rng.choice(stages),
                blocker_kind="parts" if number % 11 == 0 else None,
                work_items=items,
            )
        )
    return units


def make_texts(units: list[UnitView], n_texts: int, *, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n_texts):
        unit, other, third = rng.sample(units, 3)
        stock = unit.stock_number if rng.random() < 0.8 else unit.stock_number.lstrip("A")
        texts.append(
            rng.choice(_TEMPLATES).format(
                stock=stock,
                other=other.stock_number,
                third=third.stock_number,
                color=(unit.exterior_color or "").split()[0].lower(),
                model=(unit.model or "").lower(),
            )
        )
    return texts


def bench_interpret(n_units: int = 500, n_texts: int = 5000) -> dict[str, float]:
    """Build the index once, then interpret `n_texts` generated texts; no asserts."""
    units = make_store(n_units)
    started = time.perf_counter()
    index = UnitIndex.build(units)
    build_seconds = time.perf_counter() - started
    texts = make_texts(units, n_texts)
    now = datetime(2025, 12, 3, 10, 15, tzinfo=timezone(timedelta(hours=-6)))
    senders = [SenderView(id=f"s-{role}", name=role.title(), role=role) for role in _ROLES]
    contexts = [Context(recent_unit_ids=(units[i].id,), now=now) for i in range(len(units))]
    # Warm the typo caches the way a running service would be warm.
    for text in texts[:200]:
        interpret(text, index=index, sender=senders[0], context=contexts[0])
    started = time.perf_counter()
    for number, text in enumerate(texts):
        interpret(
            text,
            index=index,
            sender=senders[number % len(senders)],
            context=contexts[number % len(contexts)],
        )
    elapsed = time.perf_counter() - started
    return {
        "units": float(n_units),
        "texts": float(n_texts),
        "seconds": elapsed,
        "texts_per_second": n_texts / elapsed if elapsed else float("inf"),
        "mean_ms": 1000 * elapsed / n_texts,
        "index_build_ms": 1000 * build_seconds,
    }


if __name__ == "__main__":
    for key, value in bench_interpret().items():
        print(f"{key:>18}: {value:,.3f}")
