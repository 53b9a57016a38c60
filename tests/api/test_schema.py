"""The exported SDL is committed as schema.graphql: any API change shows in review."""

from pathlib import Path

from strawberry.printer import print_schema

from geoschema.schema import schema

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code():
    assert SDL.read_text(encoding="utf-8") == print_schema(schema), (
        "schema.graphql is out of date: run `make schema` and commit the change"
    )


def test_the_contract_names_of_api_md_are_there():
    sdl = print_schema(schema)
    for name in (
        "layers:",
        "districts(",
        "districtAt(",
        "buildings(",
        "pointsOfInterest(",
        "offers(",
        "needs(",
        "projects(",
        "input SpatialFilter",
        "withinDistrict:",
        "withinGeometry:",
        "bbox:",
        "near:",
        "scalar GeoJSON",
        "distanceMeters:",
        "locationPrecision:",
        "totalCount:",
        "node(",
    ):
        assert name in sdl, name
    for kind in (
        "MONEY",
        "MATERIAL",
        "VOLUNTEERING",
        "EXPERTISE",
        "SERVICE",
        "LOAN",
        "STORAGE",
        "CARPOOL",
        "LODGING",
        "MEAL",
    ):
        assert f"  {kind}\n" in sdl
