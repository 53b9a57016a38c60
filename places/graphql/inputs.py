"""The spatial filter shared by every located list (API.md), and its checks."""

import math

import strawberry
from django.conf import settings
from django.contrib.gis.geos import Point, Polygon
from django.db.models import QuerySet
from strawberry import relay

from accounts.permissions import visible_layers
from geoschema.errors import bad_input, limit_exceeded
from geoschema.ids import object_from_id
from geoschema.scalars import GeoJSON
from places.models import District
from places.selectors import SpatialQuery


@strawberry.input(description="A WGS84 position.")
class PointInput:
    longitude: float
    latitude: float

    def to_point(self, where: str = "point") -> Point:
        lon, lat = self.longitude, self.latitude
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise bad_input(f"{where}: longitude and latitude must be finite numbers")
        if not -180 <= lon <= 180:
            raise bad_input(f"{where}.longitude must be within -180..180, got {lon}")
        if not -90 <= lat <= 90:
            raise bad_input(f"{where}.latitude must be within -90..90, got {lat} (is it the longitude?)")
        return Point(lon, lat, srid=4326)


@strawberry.input(description="Within `radiusMeters` (geodesic, on the WGS84 spheroid) of `point`.")
class NearInput:
    point: PointInput
    radius_meters: float


@strawberry.input(description="A map viewport: west <= longitude <= east, south <= latitude <= north.")
class BBoxInput:
    west: float
    south: float
    east: float
    north: float

    def extent(self) -> tuple[float, float, float, float]:
        """(west, south, east, north), checked, whatever its size."""
        values = (self.west, self.south, self.east, self.north)
        if not all(math.isfinite(v) for v in values):
            raise bad_input("bbox: every side must be a finite number")
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            raise bad_input("bbox: west and east must be longitudes within -180..180")
        if not (-90 <= self.south <= 90 and -90 <= self.north <= 90):
            raise bad_input("bbox: south and north must be latitudes within -90..90")
        if self.west > self.east or self.south > self.north:
            raise bad_input("bbox is inverted: west must be <= east and south <= north")
        return values

    def to_polygon(self) -> Polygon:
        """The checked viewport, at most QUARTIER["MAX_BBOX_DEGREES"] on a side."""
        values = self.extent()
        largest = settings.QUARTIER["MAX_BBOX_DEGREES"]
        if self.east - self.west > largest or self.north - self.south > largest:
            raise limit_exceeded(f"bbox spans more than {largest} degrees: zoom in or page by area")
        return Polygon.from_bbox(values)


@strawberry.input(description="Where to look. All parts given are combined with AND.")
class SpatialFilter:
    near: NearInput | None = None
    within_district: relay.GlobalID | None = strawberry.field(
        default=None, description="Inside this district, of any boundary layer."
    )
    within_geometry: GeoJSON | None = strawberry.field(default=None, description="Inside a Polygon or MultiPolygon.")
    bbox: BBoxInput | None = None

    def to_query(self, user) -> SpatialQuery:
        """The checked filter; a district is looked up among the layers `user` may see."""
        point = radius = district = geometry = bbox = None
        if self.near is not None:
            point = self.near.point.to_point("near.point")
            radius = self.near.radius_meters
            largest = settings.QUARTIER["MAX_RADIUS_METERS"]
            if not math.isfinite(radius) or radius <= 0:
                raise bad_input(f"near.radiusMeters must be a positive number of metres, got {radius}")
            if radius > largest:
                raise limit_exceeded(f"near.radiusMeters is at most {largest:g} m, got {radius:g}")
        if self.within_district is not None:
            district = district_from_id(self.within_district, "withinDistrict", visible_layers(user))
        if self.within_geometry is not None:
            geometry = self.within_geometry
            if geometry.geom_type not in ("Polygon", "MultiPolygon"):
                raise bad_input(f"withinGeometry must be a Polygon or MultiPolygon, got a {geometry.geom_type}")
        if self.bbox is not None:
            bbox = self.bbox.to_polygon()
        return SpatialQuery(point=point, radius_m=radius, district=district, geometry=geometry, bbox=bbox)


def district_from_id(global_id: relay.GlobalID, argument: str, visible_layers: QuerySet) -> District:
    """A district of a layer the caller may see, or NOT_FOUND."""
    districts = District.objects.filter(layer__in=visible_layers.values("pk")).only("id", "geometry")
    return object_from_id(global_id, "District", districts, argument)


def spatial_query(info: strawberry.Info, spatial: SpatialFilter | None, order_by_distance: bool) -> SpatialQuery | None:
    """The checked filter; ordering by distance needs a point to measure from."""
    query = spatial.to_query(info.context.request.user) if spatial is not None else None
    if order_by_distance and (query is None or query.point is None):
        raise bad_input("orderBy: DISTANCE needs spatial.near: a point to measure distances from")
    return query


@strawberry.input(
    description="Accessibility a place must have: each attribute given as true must be known to be there "
    "(wheelchair: fully accessible), as false known not to be; left out, it does not matter."
)
class AccessibilityFilter:
    wheelchair: bool | None = None
    step_free_entrance: bool | None = None
    accessible_toilet: bool | None = None
    hearing_loop: bool | None = None
    parking: bool | None = strawberry.field(default=None, description="Accessible parking.")

    def wanted(self) -> dict[str, bool]:
        return {name: value for name, value in vars(self).items() if value is not None}
