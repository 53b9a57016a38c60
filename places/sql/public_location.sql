-- Where others see a located row: derived from its exact location on every write, by the
-- database itself, so no code path (ORM, COPY, raw SQL) can forget it. Deterministic: the same
-- exact point always gives the same public point.
CREATE OR REPLACE FUNCTION quartier_public_location() RETURNS trigger AS $$
DECLARE
    exact geometry := NEW.location::geometry;
    cell float8;
    step_lat float8;
    step_lon float8;
    lat float8;
    inside geometry;
BEGIN
    IF NEW.location_precision = 'EXACT' THEN
        NEW.public_location := NEW.location;
        RETURN NEW;
    END IF;
    IF NEW.location_precision = 'DISTRICT' THEN
        SELECT ST_PointOnSurface(d.geometry) INTO inside
          FROM places_districtpart p
          JOIN places_district d ON d.id = p.district_id
          JOIN places_boundarylayer l ON l.id = d.layer_id AND l.is_current AND l.visibility = 'PUBLIC'
         WHERE ST_Intersects(p.geometry, exact)
         ORDER BY d.area_m2, d.id
         LIMIT 1;
        IF inside IS NOT NULL THEN
            NEW.public_location := inside::geography;
            RETURN NEW;
        END IF;
        cell := 1000;  -- outside every district: a 1 km cell
    ELSIF NEW.location_precision = 'BUILDING' THEN
        cell := 50;
    ELSE
        cell := 200;   -- BLOCK
    END IF;
    step_lat := cell / 111320.0;
    lat := (floor(ST_Y(exact) / step_lat) + 0.5) * step_lat;
    step_lon := cell / (111320.0 * cos(radians(lat)));
    NEW.public_location := ST_SetSRID(
        ST_MakePoint((floor(ST_X(exact) / step_lon) + 0.5) * step_lon, lat), 4326
    )::geography;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
