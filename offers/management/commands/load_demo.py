"""manage.py load_demo: the project's own small demo data (fixtures/), loaded once.

Four demo zones over Montreal's Plateau as a boundary layer, and organisations, buildings, projects,
needs and offers placed in them. Run again, it does nothing; with --reset it loads afresh.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from offers.models import Need, Offer, Project
from places.models import BoundaryLayer, Building, Organisation
from places.services import districts_assign

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
LAYER = "demo-zones"


class Command(BaseCommand):
    help = "Load Quartier's demo data (fixtures/demo_zones.geojson and fixtures/demo.json)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="remove the demo data first")

    @transaction.atomic
    def handle(self, *args, **options):
        data = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8"))
        names = [o["name"] for o in data["organisations"]]
        if options["reset"]:
            orgs = Organisation.objects.filter(name__in=names)
            Offer.objects.filter(organisation__in=orgs).delete()
            Offer.objects.filter(title__in=[o["title"] for o in data["offers"]]).delete()
            Need.objects.filter(title__in=[n["title"] for n in data["needs"]]).delete()
            Project.objects.filter(organisation__in=orgs).delete()
            Building.objects.filter(name__in=[b["name"] for b in data["buildings"]]).delete()
            orgs.delete()
            BoundaryLayer.objects.filter(slug=LAYER).delete()
        if BoundaryLayer.objects.filter(slug=LAYER).exists():
            self.stdout.write("demo data already loaded (use --reset to load it afresh)")
            return
        call_command(
            "import_boundaries",
            str(FIXTURES / "demo_zones.geojson"),
            layer=LAYER,
            name="Demo zones (Plateau)",
            kind="NEIGHBOURHOOD",
            attribution="Quartier demo data",
            licence="CC0-1.0",
            stdout=self.stdout,
        )
        now = datetime.now(UTC).replace(microsecond=0)
        orgs = {}
        for o in data["organisations"]:
            orgs[o["key"]] = Organisation.objects.create(
                name=o["name"],
                kind=o["kind"],
                categories=o["categories"],
                address=o["address"],
                location=_point(o["at"]),
            )
        for b in data["buildings"]:
            Building.objects.create(
                name=b["name"], address=b["address"], dwellings=b["dwellings"], location=_point(b["at"])
            )
        for p in data["projects"]:
            project = Project.objects.create(
                title=p["title"],
                description=p["description"],
                organisation=orgs[p["organisation"]],
                location=_point(p["at"]),
                funding_goal=p.get("funding_goal"),
                starts_on=now.date(),
            )
            for n in p["needs"]:
                need = _exchange({**n, "organisation": p["organisation"]}, orgs, now)
                Need.objects.create(
                    **need, project=project, location=project.location, deadline=now + timedelta(days=45)
                )
        for n in data["needs"]:
            Need.objects.create(**_exchange(n, orgs, now), location=_point(n["at"]))
        for o in data["offers"]:
            Offer.objects.create(
                **_exchange(o, orgs, now), location=_point(o["at"]), service_radius_m=o.get("service_radius_m", 2000)
            )
        for model in (Organisation, Building, Project, Need, Offer):
            districts_assign(model=model)
        needs = len(data["needs"]) + sum(len(p["needs"]) for p in data["projects"])
        self.stdout.write(
            f"demo data loaded: {len(orgs)} organisations, {len(data['buildings'])} buildings, "
            f"{len(data['projects'])} projects, {needs} needs, "
            f"{len(data['offers'])} offers"
        )


def _point(at: list[float]) -> Point:
    return Point(at[0], at[1], srid=4326)


def _exchange(item: dict, orgs: dict, now: datetime) -> dict:
    return {
        "title": item["title"],
        "kind": item["kind"],
        "categories": item["categories"],
        "quantity": item["quantity"],
        "unit": item["unit"],
        "organisation": orgs.get(item.get("organisation")),
        "available_from": now,
        "available_until": now + timedelta(days=90),
    }
