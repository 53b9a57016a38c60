-- Clusters kept per zoom (offers.clusters). For each zoom from 0 to 14 (KEPT_ZOOM there), the
-- grid of `clusters` (cells of 90 / 2^zoom degrees, each point in the cell of its nearest grid
-- node: round(coordinate / cell size)) holds, per kind and community, how many offers (or needs)
-- lie in each cell and the sums of their coordinates. Statement-level triggers add what a
-- statement inserted and take away what it deleted (an update: both, for the rows whose place,
-- kind or community changed), in one grouped upsert per statement whatever its size: a COPY of
-- 100,000 rows is one statement. A cell whose rows all left stays, with a count of 0.

-- The upsert that adds `changes` (rows of public_location, kind, community_id and a sign, +1 or
-- -1) to the cells of `layer`. Its rows are locked in the order of the key, so that two writers
-- never wait for each other crosswise.
CREATE OR REPLACE FUNCTION quartier_cluster_cells_upsert(layer text, changes text) RETURNS text AS $$
    SELECT format($sql$
        INSERT INTO offers_clustercell AS c (layer, zoom, cx, cy, kind, community_id, count, sum_x, sum_y)
        SELECT %L, z, round(p.x / (90.0 / 2 ^ z))::int, round(p.y / (90.0 / 2 ^ z))::int, p.kind, p.community_id,
               sum(p.sign), sum(p.sign * p.x), sum(p.sign * p.y)
          FROM (SELECT ST_X(public_location::geometry) AS x, ST_Y(public_location::geometry) AS y,
                       kind, community_id, sign
                  FROM (%s) AS changed
                 WHERE public_location IS NOT NULL) AS p,
               generate_series(0, 14) AS z
         GROUP BY 2, 3, 4, 5, 6
         ORDER BY 2, 3, 4, 5, 6
            ON CONFLICT (layer, zoom, cx, cy, kind, (coalesce(community_id, 0))) DO UPDATE
           SET count = c.count + excluded.count, sum_x = c.sum_x + excluded.sum_x, sum_y = c.sum_y + excluded.sum_y
    $sql$, layer, changes)
$$ LANGUAGE sql IMMUTABLE;

-- The trigger: TG_ARGV[0] is the layer (offer, need); the transition tables old_rows, new_rows.
CREATE OR REPLACE FUNCTION quartier_cluster_cells() RETURNS trigger AS $$
DECLARE
    changes text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM offers_clustercell WHERE layer = TG_ARGV[0];
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        changes := 'SELECT public_location, kind, community_id, 1 AS sign FROM new_rows';
    ELSIF TG_OP = 'DELETE' THEN
        changes := 'SELECT public_location, kind, community_id, -1 AS sign FROM old_rows';
    ELSE
        changes := 'SELECT s.public_location, s.kind, s.community_id, s.sign
                      FROM old_rows o JOIN new_rows n ON n.id = o.id,
                           LATERAL (VALUES (o.public_location, o.kind, o.community_id, -1),
                                           (n.public_location, n.kind, n.community_id, 1))
                                AS s(public_location, kind, community_id, sign)
                     WHERE (o.public_location::text, o.kind, o.community_id)
                           IS DISTINCT FROM (n.public_location::text, n.kind, n.community_id)';
    END IF;
    EXECUTE quartier_cluster_cells_upsert(TG_ARGV[0], changes);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
