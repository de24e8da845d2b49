/* Choropleth of the zone's communes by APL class, drawn on the territory map (#zone-map).
   Listens to the "zonemap:ready" event of zone_map.js; on the what-if page, communes whose class
   changes (JSON in #whatif-classes) are drawn with their new class and a thick outline. */
(function () {
  "use strict";
  var COLORS = { sous_dense: "#b2182b", fragile: "#ef8a62", non_deficitaire: "#67a9cf", inconnu: "#bbbbbb" };
  var LABELS = { sous_dense: "sous-dense", fragile: "fragile", non_deficitaire: "non déficitaire", inconnu: "non calculé" };
  function draw(map, loaded) {
    var holder = document.getElementById("indicators-map");
    if (!holder || !map || holder.dataset.drawn) { return; }
    holder.dataset.drawn = "1";
    var after = {};
    var highlight = {};
    (holder.dataset.highlight || "").split(",").forEach(function (c) { if (c) { highlight[c] = true; } });
    var script = document.getElementById("whatif-classes");
    if (script) { try { after = JSON.parse(script.textContent) || {}; } catch (e) { after = {}; } }
    // the ranking page's territory map already loaded this very layer: drawn from it, not fetched twice
    var got = loaded && loaded.url === holder.dataset.geojson && loaded.data ? Promise.resolve(loaded.data)
      : fetch(holder.dataset.geojson, { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); });
    got
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (f) {
            var p = f.properties;
            var cls = after[p.code] ? classKey(after[p.code]) : p.apl_class;
            var changed = (after[p.code] && classKey(after[p.code]) !== p.apl_class) || highlight[p.code];
            return {
              color: changed ? "#000000" : (p.emergency_far ? "#4a1486" : "#555555"),
              weight: changed ? (highlight[p.code] ? 3 : 5) : (p.emergency_far ? 2 : 0.5),
              fillColor: COLORS[cls] || COLORS.inconnu,
              fillOpacity: 0.65
            };
          },
          onEachFeature: function (f, l) {
            var p = f.properties;
            var text = p.name + " — " + p.label + (p.apl != null ? " (APL " + p.apl.toLocaleString("fr-FR") + ")" : "");
            if (after[p.code]) { text += " ; après simulation : " + after[p.code]; }
            l.bindTooltip(SafeText.node(text));
            if (p.url) { l.on("click", function () { window.location = p.url; }); }
          }
        }).addTo(map);
        layer.bringToFront();
        var legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          var div = L.DomUtil.create("div", "legend indicators-legend");
          div.appendChild(SafeText.el("strong", null, "Classe APL"));
          if (data.basis) { div.appendChild(SafeText.el("div", "legend-basis", data.basis)); }
          Object.keys(LABELS).forEach(function (k) {
            var row = SafeText.el("div");
            var swatch = SafeText.el("span", "swatch");
            swatch.style.background = COLORS[k];
            row.appendChild(swatch);
            row.appendChild(document.createTextNode(" " + LABELS[k]));
            div.appendChild(row);
          });
          var far = SafeText.el("div");
          far.appendChild(SafeText.el("span", "swatch swatch-outline"));
          far.appendChild(document.createTextNode(" urgences éloignées"));
          div.appendChild(far);
          return div;
        };
        legend.addTo(map);
      });
  }
  function classKey(label) {
    for (var k in LABELS) { if (LABELS[k] === label) { return k; } }
    return "inconnu";
  }
  function init() {
    var el = document.getElementById("zone-map");
    if (!el) { return; }
    el.addEventListener("zonemap:ready", function (e) { draw(e.detail.map, e.detail); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
