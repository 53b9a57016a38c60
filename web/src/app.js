// The demo map: Leaflet drawing what Quartier's GraphQL API answers, nothing else.
// No base-map tiles from the internet: a layer's district boundaries are the base map.

const COLOURS = { OFFER: "#1b8a5a", NEED: "#e07b00", PROJECT: "#7b3fa0" };
const CLUSTER_BELOW_ZOOM = 14; // below it, points arrive as server-side clusters
const NEARBY_METERS = 500;

const state = { layer: null, kind: "", category: "", districts: null, markers: L.layerGroup(), search: L.layerGroup() };
const $ = (id) => document.getElementById(id);

export const map = L.map("map", { zoomSnap: 1, preferCanvas: false }).setView([45.53, -73.62], 11);
window.quartierMap = map; // for the browser tests and the curious
state.markers.addTo(map);
state.search.addTo(map);

async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join("; "));
  return body.data;
}

function setStatus(text, counts = {}) {
  const status = $("status");
  status.textContent = text;
  for (const [name, value] of Object.entries(counts)) status.dataset[name] = value;
}

function viewport() {
  const b = map.getBounds();
  return { west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() };
}

function filters() {
  return { kinds: state.kind ? [state.kind] : null, categories: state.category ? [state.category] : null };
}

// Boundaries: the districts of the chosen layer as one FeatureCollection built by PostGIS,
// simplified to half a pixel at zoom 12 (about 19 m): the whole city's view.
async function loadDistricts() {
  const data = await gql(
    `query($layer: String!) { mapLayer(of: DISTRICT, layer: $layer, zoom: 12, limit: 5000) }`,
    { layer: state.layer },
  );
  if (state.districts) state.districts.remove();
  const features = data.mapLayer.features;
  state.districts = L.geoJSON(features, {
    style: { color: "#456", weight: 1.5, fillColor: "#dfe8e4", fillOpacity: 0.6, className: "district" },
    interactive: false,
  }).addTo(map);
  state.districts.bringToBack();
  return features.length;
}

function marker(feature, of) {
  const [lng, lat] = feature.geometry.coordinates;
  const circle = L.circleMarker([lat, lng], {
    radius: 6, color: "#fff", weight: 1, fillColor: COLOURS[of], fillOpacity: 0.9,
    className: `marker marker-${of.toLowerCase()}`, bubblingMouseEvents: false,
  });
  const p = feature.properties;
  circle.bindTooltip(`${p.title}${p.kind ? ` (${p.kind.toLowerCase()})` : ""}`);
  if (of === "NEED") circle.on("click", () => showMatches(feature.id, p.title));
  return circle;
}

function cluster(feature, of) {
  const [lng, lat] = feature.geometry.coordinates;
  const count = feature.properties.count;
  const size = Math.round(18 + Math.min(26, Math.log2(count) * 3));
  const icon = L.divIcon({
    className: `cluster cluster-${of.toLowerCase()}`,
    html: `<span style="background:${COLOURS[of]};width:${size}px;height:${size}px;line-height:${size}px">${count}</span>`,
    iconSize: [size, size],
  });
  return L.marker([lat, lng], { icon, interactive: false, keyboard: false });
}

// Points: each shown layer as one FeatureCollection (or clusters) for the viewport.
async function loadMarkers() {
  const shown = Object.keys(COLOURS).filter((of) => $(`show-${of}`).checked);
  const clustered = map.getZoom() < CLUSTER_BELOW_ZOOM;
  const { kinds, categories } = filters();
  const answers = await Promise.all(
    shown.map((of) =>
      clustered
        ? gql(
            `query($b: BBoxInput!, $z: Int!, $of: MapLayerKind!, $k: [HelpKind!], $c: [String!]) {
               clusters(bbox: $b, zoom: $z, of: $of, kinds: $k, categories: $c) }`,
            { b: viewport(), z: map.getZoom(), of, k: of === "PROJECT" ? null : kinds, c: categories },
          ).then((d) => [of, d.clusters])
        : gql(
            `query($b: BBoxInput!, $of: MapLayerKind!, $k: [HelpKind!], $c: [String!]) {
               mapLayer(of: $of, spatial: {bbox: $b}, kinds: $k, categories: $c, limit: 5000) }`,
            { b: viewport(), of, k: of === "PROJECT" ? null : kinds, c: categories },
          ).then((d) => [of, d.mapLayer]),
    ),
  );
  state.markers.clearLayers();
  const counts = { offers: 0, needs: 0, projects: 0 };
  for (const [of, collection] of answers) {
    for (const feature of collection.features) {
      state.markers.addLayer(clustered ? cluster(feature, of) : marker(feature, of));
      counts[`${of.toLowerCase()}s`] += clustered ? feature.properties.count : 1;
    }
  }
  const truncated = answers.some(([, c]) => c.truncated) ? " (zoom in for all)" : "";
  setStatus(
    // Clusters are whole cells: those at the edge also count their points just outside the view.
    `${counts.offers} offers, ${counts.needs} needs, ${counts.projects} projects ${clustered ? "in and around" : "in"} view${truncated}`,
    { ...counts, clustered: clustered ? "1" : "0", ready: "1" },
  );
}

function showDetails(title, items) {
  $("details").hidden = false;
  $("details-title").textContent = title;
  $("details-list").replaceChildren(...items);
}

function item(id, html) {
  const li = document.createElement("li");
  li.dataset.id = id;
  li.innerHTML = html;
  return li;
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const metres = (d) => (d >= 1000 ? `${(d / 1000).toFixed(1)} km` : `${Math.round(d)} m`);

// A need's matches, best first, with why.
async function showMatches(needId, title) {
  const data = await gql(
    `query($n: ID!) { matches(needId: $n, first: 10) {
       score distanceMeters reasons { name value } offer { id title kind } } }`,
    { n: needId },
  );
  $("details").dataset.need = needId;
  const items = data.matches.map((m) =>
    item(m.offer.id, `<strong>${escape(m.offer.title)}</strong> · score ${m.score.toFixed(2)} · ${metres(m.distanceMeters)}
      <div class="reasons">${m.reasons.map((r) => `${escape(r.name)} ${r.value.toFixed(2)}`).join(", ")}</div>`),
  );
  showDetails(`Matches for “${title}”: ${data.matches.length}`, items.length ? items : [item("", "no offer within reach")]);
}

// Offers near a clicked point, nearest first.
async function showNearby(latlng) {
  const point = { longitude: latlng.lng, latitude: latlng.lat };
  const { kinds, categories } = filters();
  const data = await gql(
    `query($p: PointInput!, $r: Float!, $k: [HelpKind!], $c: [String!]) {
       offers(spatial: {near: {point: $p, radiusMeters: $r}}, kinds: $k, categories: $c, orderBy: DISTANCE, first: 20) {
         totalCount edges { node { id title kind distanceMeters } } } }`,
    { p: point, r: NEARBY_METERS, k: kinds, c: categories },
  );
  state.search.clearLayers();
  state.search.addLayer(L.circle(latlng, { radius: NEARBY_METERS, color: "#1b8a5a", weight: 1, fill: false, interactive: false }));
  Object.assign($("details").dataset, { lat: latlng.lat, lng: latlng.lng, need: "" });
  const items = data.offers.edges.map(({ node }) =>
    item(node.id, `<strong>${escape(node.title)}</strong> · ${node.kind.toLowerCase()} · ${metres(node.distanceMeters)}`),
  );
  showDetails(`${data.offers.totalCount} offers within ${NEARBY_METERS} m`, items);
}

async function start() {
  const data = await gql(`{ layers { slug name } kinds: __type(name: "HelpKind") { enumValues { name } } }`);
  $("layer").replaceChildren(...data.layers.map((l) => new Option(l.name, l.slug)));
  $("kind").append(...data.kinds.enumValues.map((v) => new Option(v.name.toLowerCase(), v.name)));
  state.layer = data.layers[0]?.slug ?? null;
  if (state.layer) {
    await loadDistricts();
    map.fitBounds(state.districts.getBounds());
  }
  map.on("moveend", loadMarkers);
  map.on("click", (e) => showNearby(e.latlng));
  $("layer").addEventListener("change", (e) => { state.layer = e.target.value; loadDistricts(); });
  $("kind").addEventListener("change", (e) => { state.kind = e.target.value; loadMarkers(); });
  $("category").addEventListener("change", (e) => { state.category = e.target.value.trim(); loadMarkers(); });
  for (const of of Object.keys(COLOURS)) $(`show-${of}`).addEventListener("change", loadMarkers);
  await loadMarkers();
}

start().catch((error) => setStatus(`The API did not answer: ${error.message}`, { error: "1" }));
