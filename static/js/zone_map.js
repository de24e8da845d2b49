/* Draws a territory and its communes from the GeoJSON endpoint named in data-geojson. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("zone-map");
    if (!el || typeof L === "undefined") { return; }
    var map = L.map(el, { scrollWheelZoom: false });
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "&copy; les contributeurs d’OpenStreetMap"
    }).addTo(map);
    map.setView([46.6, 2.4], 6);
    fetch(el.dataset.geojson, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (f) {
            if (f.properties.role === "zone") {
              return { color: "#08465d", weight: 3, fill: false, className: "zone-outline" };
            }
            return { color: "#0b5e7d", weight: f.properties.role === "departement" ? 2 : 1, fillOpacity: 0.08,
                     className: "zone-" + f.properties.role };
          },
          onEachFeature: function (f, l) {
            if (f.properties.role !== "zone") {
              var pop = f.properties.population != null ? f.properties.population.toLocaleString("fr-FR") + " hab." : "";
              l.bindTooltip(SafeText.node(f.properties.name + (pop ? " — " + pop : "")));
              if (f.properties.url) { l.on("click", function () { window.location = f.properties.url; }); }
            }
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
        if (window.CommuneLabels) { window.communeLabels = CommuneLabels.fromGeoJSON(map, layer); }
        el.dispatchEvent(new CustomEvent("zonemap:ready", {
          detail: { map: map, layer: layer, url: el.dataset.geojson, data: data }
        }));
        window.zoneMap = map;
      });
    window.zoneMap = map;
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
