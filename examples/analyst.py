#!/usr/bin/env python3
"""Quartier for analysts: pull activity per area and the offers of an area into GeoJSON files that
GeoPandas, QGIS or any GIS reads as they are (FeatureCollections with flat properties, WGS84).

    python examples/analyst.py --api http://127.0.0.1:8000 --layer demo-zones --out data/
    # then, in a notebook:
    #   import geopandas as gpd
    #   areas = gpd.read_file("data/area-stats.geojson")     # one row per district, its counts
    #   offers = gpd.read_file("data/offers.geojson")        # one row per offer, nearest first

Only the Python standard library: nothing to install. `--token` sends a bearer token (members see
their communities' offers; staff see small counts that others get withheld).
"""

import argparse
import json
import sys
import urllib.request
from pathlib import Path

AREA_STATS = """query($layer: String!) { areaStatsGeoJSON(layer: $layer, simplifyMeters: 10) }"""
DISTRICTS = """query($layer: String!) { districts(layer: $layer, first: 500) { edges { node { id code name } } } }"""
OFFERS = """query($district: ID!, $after: String) {
  offers(spatial: {withinDistrict: $district}, first: 500, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title kind categories quantity unit status createdAt location locationPrecision
                   district { code name } } } } }"""


def graphql(api: str, query: str, variables: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{api.rstrip('/')}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    if body.get("errors"):
        raise SystemExit("; ".join(f"{e['extensions']['code']}: {e['message']}" for e in body["errors"]))
    return body["data"]


def flat(properties: dict) -> dict:
    """Nested values as columns a data frame can hold: lists joined, objects spread."""
    out = {}
    for name, value in properties.items():
        if isinstance(value, dict):
            out.update({f"{name}_{key}": inner for key, inner in value.items()})
        elif isinstance(value, list):
            out[name] = ";".join(map(str, value))
        else:
            out[name] = value
    return out


def offers_of(api: str, district_id: str, token: str | None) -> list[dict]:
    """Every offer in a district, page after page."""
    features, after = [], None
    while True:
        page = graphql(api, OFFERS, {"district": district_id, "after": after}, token)["offers"]
        for edge in page["edges"]:
            node = dict(edge["node"])
            geometry = node.pop("location")
            features.append({"type": "Feature", "id": node["id"], "geometry": geometry, "properties": flat(node)})
        if not page["pageInfo"]["hasNextPage"]:
            return features
        after = page["pageInfo"]["endCursor"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--layer", default="demo-zones", help="a boundary layer's slug (the `layers` query)")
    parser.add_argument("--district", help="a district code of that layer for offers.geojson (default: the first)")
    parser.add_argument("--out", default=".", type=Path)
    parser.add_argument("--token")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    stats = graphql(args.api, AREA_STATS, {"layer": args.layer}, args.token)["areaStatsGeoJSON"]
    stats["features"] = [{**f, "properties": flat(f["properties"])} for f in stats["features"]]
    (args.out / "area-stats.geojson").write_text(json.dumps(stats))

    districts = [
        e["node"] for e in graphql(args.api, DISTRICTS, {"layer": args.layer}, args.token)["districts"]["edges"]
    ]
    chosen = next((d for d in districts if args.district in (None, d["code"])), None)
    if chosen is None:
        raise SystemExit(f"no district {args.district!r} in {args.layer}")
    offers = {"type": "FeatureCollection", "features": offers_of(args.api, chosen["id"], args.token)}
    (args.out / "offers.geojson").write_text(json.dumps(offers))
    print(
        f"{len(stats['features'])} areas -> {args.out / 'area-stats.geojson'}; "
        f"{len(offers['features'])} offers in {chosen['name']} -> {args.out / 'offers.geojson'}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
