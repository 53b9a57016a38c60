"""manage.py seed_demo --offers N --needs N --seed S: realistic synthetic activity over the loaded
districts, written with COPY (a million offers in well under two minutes)."""

import random
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import shapely
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from offers.models import HelpKind, Need, Offer
from places.models import District
from places.services import districts_assign, lift_statement_timeout

CATEGORIES = {
    HelpKind.MONEY: (["fundraising", "microgrant"], "CAD", (20, 2000)),
    HelpKind.MATERIAL: (["tools", "furniture", "books", "clothes", "seeds", "paint"], "items", (1, 20)),
    HelpKind.VOLUNTEERING: (["gardening", "tutoring", "moving", "cooking", "events"], "hours", (1, 40)),
    HelpKind.EXPERTISE: (["legal", "accounting", "design", "carpentry", "plumbing", "it"], "hours", (1, 10)),
    HelpKind.SERVICE: (["repair", "childcare", "translation", "delivery"], "hours", (1, 10)),
    HelpKind.LOAN: (["tools", "ladder", "bike", "projector"], "items", (1, 3)),
    HelpKind.STORAGE: (["storage"], "m2", (1, 30)),
    HelpKind.CARPOOL: (["school", "groceries", "medical"], "seats", (1, 4)),
    HelpKind.LODGING: (["guest-room", "emergency"], "nights", (1, 14)),
    HelpKind.MEAL: (["community-kitchen", "meals"], "meals", (1, 50)),
}
KINDS = list(CATEGORIES)
# Montreal's island, when no boundary layer has been loaded yet.
FALLBACK_BBOX = (-73.95, 45.42, -73.48, 45.70)
COLUMNS = (
    "location",
    "location_precision",
    "title",
    "description",
    "kind",
    "categories",
    "quantity",
    "unit",
    "available_from",
    "available_until",
    "created_at",
    "status",
)


class Command(BaseCommand):
    help = "Generate synthetic offers and needs inside the loaded districts (COPY, deterministic per seed)."

    def add_arguments(self, parser):
        parser.add_argument("--offers", type=int, default=1000)
        parser.add_argument("--needs", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--layer", help="slug of the layer whose districts bound the points (default: all)")

    def handle(self, *args, **options):
        if options["offers"] < 0 or options["needs"] < 0:
            raise CommandError("--offers and --needs must be 0 or more")
        started = time.monotonic()
        rng = random.Random(options["seed"])
        nprng = np.random.default_rng(options["seed"])
        area = self._area(options["layer"])
        with transaction.atomic():
            lift_statement_timeout()
            for model, count, extra in (
                (Offer, options["offers"], ("service_radius_m",)),
                (Need, options["needs"], ("search_radius_m",)),
            ):
                if count:
                    self._copy(model, count, extra, area, rng, nprng)
            for model in (Offer, Need):
                districts_assign(model=model)
        self.stdout.write(
            f"seeded {options['offers']} offers and {options['needs']} needs in {time.monotonic() - started:.1f} s"
        )

    def _area(self, layer: str | None):
        districts = District.objects.all()
        if layer:
            districts = districts.filter(layer__slug=layer)
        geometries = [shapely.from_wkb(bytes(d.geometry.wkb)) for d in districts.only("geometry")]
        if not geometries:
            return shapely.box(*FALLBACK_BBOX)
        return shapely.union_all(geometries)

    def _points(self, area, count: int, nprng) -> np.ndarray:
        """`count` points drawn uniformly inside `area`, by rejection from its bounding box."""
        shapely.prepare(area)
        west, south, east, north = area.bounds
        found: list[np.ndarray] = []
        missing = count
        while missing > 0:
            xs = nprng.uniform(west, east, missing * 2 + 16)
            ys = nprng.uniform(south, north, missing * 2 + 16)
            inside = shapely.contains_xy(area, xs, ys)
            found.append(np.column_stack([xs[inside], ys[inside]])[:missing])
            missing -= len(found[-1])
        return np.concatenate(found)

    def _copy(self, model, count: int, extra: tuple[str, ...], area, rng: random.Random, nprng) -> None:
        points = self._points(area, count, nprng)
        now = datetime.now(UTC).replace(microsecond=0)
        noun = "Offer" if model is Offer else "Need"
        status = "OPEN"
        columns = COLUMNS + extra
        table = model._meta.db_table
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for index, (x, y) in enumerate(points):
                kind = KINDS[rng.randrange(len(KINDS))]
                categories, unit, (low, high) = CATEGORIES[kind]
                chosen = rng.sample(categories, k=min(len(categories), rng.randint(1, 2)))
                start = now + timedelta(days=rng.randint(-30, 60))
                copy.write_row(
                    (
                        f"SRID=4326;POINT({x:.7f} {y:.7f})",
                        "EXACT",
                        f"{noun}: {kind.label.lower()} ({', '.join(chosen)})",
                        "",
                        kind.value,
                        chosen,
                        rng.randint(low, high),
                        unit,
                        start,
                        start + timedelta(days=rng.randint(1, 90)),
                        now - timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
                        status,
                        float(rng.choice((500, 1000, 2000, 5000))),
                    )
                )
                if index % 100_000 == 0 and index:
                    print(
                        f"\r  {model._meta.verbose_name_plural}: {index}/{count}", end="", file=sys.stderr, flush=True
                    )
        print(f"\r  {model._meta.verbose_name_plural}: {count}/{count}", file=sys.stderr)
