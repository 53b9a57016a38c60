"""Given places already imported from a source, when `import_places` is given a file with a place
that cannot be stored as it is (off the globe, a coordinate that is not a number, no name, no id,
texts past PointOfInterest's limits), then it is refused naming the feature and the field, as
boundary imports refuse them, and the source's places are as they were: not one row written."""

import json

import pytest
from django.core.management import CommandError, call_command

from places.models import PointOfInterest

pytestmark = pytest.mark.django_db
SOURCE = "test-lieux"


def place(identifier, longitude=-73.58, latitude=45.52, geometry_type="Point", coordinates=None, **properties) -> dict:
    props = {"id": identifier, "nom": f"Lieu {identifier}", "categorie": "Bibliothèque", "rue": "Rue Rachel"}
    return {
        "type": "Feature",
        "properties": {**props, **properties},
        "geometry": {"type": geometry_type, "coordinates": coordinates or [longitude, latitude]},
    }


def write(tmp_path, *features: dict, name: str = "lieux.geojson") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8")
    return str(path)


def run(path: str, **options) -> None:
    call_command("import_places", path, source=SOURCE, address_field=["rue"], **options)


def rows() -> list:
    return sorted(
        PointOfInterest.objects.filter(source=SOURCE).values_list(
            "source_id", "name", "categories", "address", "location", "wheelchair"
        )
    )


@pytest.fixture
def imported(tmp_path) -> list:
    """Two places of the source, as a first import wrote them."""
    run(write(tmp_path, place(1), place(2, -73.57, 45.51), name="first.geojson"))
    before = rows()
    assert len(before) == 2
    return before


RENAMED = place(1, nom="Renamed")  # a change a partial write would show


@pytest.mark.parametrize(
    "bad,expected",
    [
        (place(2, 200, 45.51), ["features[1] (id '2')", "longitude 200..200", "outside longitude ±180"]),
        (place(2, -73.57, 95), ["features[1] (id '2')", "latitude 95..95"]),
        (place(2, -73.57, float("nan")), ["features[1] (id '2')", "its geometry is empty"]),  # as GDAL reads it
        (place(2, float("inf"), 45.51), ["features[1] (id '2')", "not a finite number"]),
        (place(2, nom=None), ["features[1]", "no 'nom'", "every place needs a name"]),
        (place(2, nom="   "), ["features[1]", "no 'nom'"]),
        (place(None), ["features[1]", "no 'id'", "every place needs an id"]),
        (place(2, nom="n" * 301), ["features[1]", "name: Ensure this value has at most 300 characters (it has 301)"]),
        (place(2, categorie="c" * 81), ["features[1]", "categories: Item 1", "at most 80 characters"]),
        (place(2, rue="r" * 301), ["features[1]", "address: Ensure this value has at most 300 characters"]),
        (place("9" * 121), ["features[1]", "source_id: Ensure this value has at most 120 characters"]),
        (
            place(2, geometry_type="Polygon", coordinates=[[[-73.57, 45.51], [-73.56, 45.51], [-73.57, 45.51]]]),
            ["features[1] (id '2')", "ring of 3 positions"],
        ),
    ],
)
def test_a_place_that_cannot_be_stored_is_refused_and_nothing_is_written(tmp_path, imported, bad, expected):
    with pytest.raises(CommandError) as refused:
        run(write(tmp_path, RENAMED, bad))
    message = str(refused.value)
    assert all(part in message for part in expected), message
    assert rows() == imported


@pytest.mark.parametrize(
    "source,expected", [("s" * 81, "source: Ensure this value has at most 80 characters"), ("s\x00", "NUL")]
)
def test_a_source_name_that_cannot_be_stored_is_refused(tmp_path, imported, source, expected):
    with pytest.raises(CommandError, match=expected):
        call_command("import_places", write(tmp_path, place(1)), source=source)
    assert not PointOfInterest.objects.exclude(source__in=["mtl-lieux", SOURCE]).exists() and rows() == imported


def test_a_file_without_features_or_with_a_bad_option_is_refused(tmp_path, imported):
    with pytest.raises(CommandError, match="holds no features"):
        run(write(tmp_path))
    with pytest.raises(CommandError, match="--accessibility-field takes ATTRIBUTE=PROPERTY, not 'wheelchair'"):
        run(write(tmp_path, RENAMED), accessibility_field=["wheelchair"])
    with pytest.raises(CommandError, match="EPSG:999999 is not a CRS GDAL knows"):
        run(write(tmp_path, RENAMED), srid=999999)
    assert rows() == imported


def test_good_places_still_import_and_rows_without_geometry_are_skipped(tmp_path, imported, capsys):
    """The checks refuse nothing a good file holds: a polygon is placed inside itself, categories of
    only spaces are dropped, and a row without a geometry is counted, not imported."""
    square = [[[-73.57, 45.51], [-73.56, 45.51], [-73.56, 45.52], [-73.57, 45.52], [-73.57, 45.51]]]
    without = {**place(4), "geometry": None}
    run(write(tmp_path, RENAMED, place(3, geometry_type="Polygon", coordinates=square, categorie="  "), without))
    assert "2 points of interest imported or updated, 1 features without a geometry skipped" in capsys.readouterr().out
    got = {p.source_id: p for p in PointOfInterest.objects.filter(source=SOURCE)}
    assert set(got) == {"1", "2", "3"} and got["1"].name == "Renamed"
    assert got["3"].categories == [] and -73.57 < got["3"].location.x < -73.56 and 45.51 < got["3"].location.y < 45.52
