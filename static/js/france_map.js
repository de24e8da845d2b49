/* National map of the home page: départements coloured by the indicator chosen in
   #france-indicator, a legend in words and units (#france-legend), a click opens the département.
   The table under the map carries the same values (RGAA twin). User-visible text is set as text. */
(function () {
  "use strict";
  var CLASS_COLORS = { "sous-dense": "#b2182b", "fragile": "#ef8a62", "non déficitaire": "#67a9cf" };
  var CLASS_ORDER = ["sous-dense", "fragile", "non déficitaire"];
  // worst → best (colour-blind safe diverging scheme); the legend always says which is which
  var SCALE = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf"];
  var NONE = "#d9d9d9";

  function fmt(value, decimals) {
    if (value === null || value === undefined) { return "non disponible"; }
    return value.toLocaleString("fr-FR", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }

  function quantileBreaks(values, n) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var breaks = [];
    for (var i = 1; i < n; i++) { breaks.push(sorted[Math.floor(i * sorted.length / n)]); }
    return breaks;
  }

  function init() {
    var el = document.getElementById("france-map");
    var select = document.getElementById("france-indicator");
    var legendBox = document.getElementById("france-legend");
    if (!el || !select || typeof L === "undefined") { return; }
    var map = L.map(el, { scrollWheelZoom: false, minZoom: 4, maxZoom: 12, zoomSnap: 0.25 });
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "&copy; les contributeurs d’OpenStreetMap"
    }).addTo(map);
    map.fitBounds([[41.3, -5.2], [51.1, 9.6]]);
    window.franceMap = map;
    fetch(el.dataset.geojson, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var choices = {};
        data.meta.choices.forEach(function (c) { choices[c.key] = c; });
        var layer = L.geoJSON(data, {
          onEachFeature: function (f, l) {
            l.on("click", function () { window.location = f.properties.url; });
          }
        }).addTo(map);
        function colourer(choice) {
          if (choice.key === "classe") {
            return { color: function (v) { return CLASS_COLORS[v] || NONE; }, bins: null };
          }
          var values = data.features.map(function (f) { return f.properties[choice.key]; })
            .filter(function (v) { return v !== null && v !== undefined; });
          var breaks = quantileBreaks(values, SCALE.length);
          var colors = choice.higher_is_better ? SCALE : SCALE.slice().reverse();
          return {
            bins: { breaks: breaks, colors: colors, min: Math.min.apply(null, values), max: Math.max.apply(null, values) },
            color: function (v) {
              if (v === null || v === undefined) { return NONE; }
              var i = 0;
              while (i < breaks.length && v >= breaks[i]) { i++; }
              return colors[i];
            }
          };
        }
        function legend(choice, scale) {
          while (legendBox.firstChild) { legendBox.removeChild(legendBox.firstChild); }
          legendBox.appendChild(SafeText.el("p", "legend-title", choice.label + (choice.unit ? " (" + choice.unit + ")" : "")));
          legendBox.appendChild(SafeText.el("p", "legend-note", choice.note));
          var list = SafeText.el("ul", "legend-list");
          function item(color, text) {
            var li = SafeText.el("li");
            var sw = SafeText.el("span", "swatch");
            sw.style.background = color;
            li.appendChild(sw);
            li.appendChild(document.createTextNode(" " + text));
            list.appendChild(li);
          }
          if (!scale.bins) {
            CLASS_ORDER.forEach(function (k) { item(CLASS_COLORS[k], k); });
          } else {
            var b = scale.bins, edges = [b.min].concat(b.breaks).concat([b.max]);
            for (var i = 0; i < b.colors.length; i++) {
              var text = "de " + fmt(edges[i], choice.decimals) + " à " + fmt(edges[i + 1], choice.decimals);
              if (i === 0) { text += choice.higher_is_better ? " (le moins bien doté)" : " (le plus proche)"; }
              if (i === b.colors.length - 1) { text += choice.higher_is_better ? " (le mieux doté)" : " (le plus éloigné)"; }
              item(b.colors[i], text);
            }
          }
          item(NONE, "non disponible");
          legendBox.appendChild(list);
        }
        function draw() {
          var choice = choices[select.value] || data.meta.choices[0];
          var scale = colourer(choice);
          layer.eachLayer(function (l) {
            var p = l.feature.properties, v = p[choice.key];
            l.setStyle({ color: "#ffffff", weight: 0.7, fillColor: scale.color(v), fillOpacity: 0.85 });
            var text = p.name + " (" + p.code + ") — " + choice.label + " : " +
              (choice.key === "classe" ? (v || "non disponible") : fmt(v, choice.decimals) + (v !== null && choice.unit ? " " + choice.unit : ""));
            l.unbindTooltip();
            l.bindTooltip(SafeText.node(text), { sticky: true });
          });
          legend(choice, scale);
          el.dataset.indicator = choice.key;
        }
        select.addEventListener("change", draw);
        draw();
        window.franceLayer = layer;
        // Zoomed in (≥ 8): the communes of the départements in view, coloured by their class
        // (the official APL of their bassin de vie), from each département's cached layer.
        var communeLayers = {}, COMMUNE_ZOOM = 8, template = el.dataset.communesTemplate;
        function showCommunes() {
          var zoomedIn = map.getZoom() >= COMMUNE_ZOOM, view = map.getBounds();
          layer.eachLayer(function (l) {
            var code = l.feature.properties.code, shown = communeLayers[code];
            var wanted = zoomedIn && view.intersects(l.getBounds());
            if (!wanted) { if (shown && map.hasLayer(shown)) { map.removeLayer(shown); } return; }
            if (shown) { if (!map.hasLayer(shown)) { shown.addTo(map); } return; }
            communeLayers[code] = L.layerGroup().addTo(map);
            fetch(template.replace("CODE", code), { headers: { "Accept": "application/json" } })
              .then(function (r) { return r.json(); })
              .then(function (communes) {
                L.geoJSON(communes, {
                  style: function (f) {
                    return { color: "#ffffff", weight: 0.4, fillOpacity: 0.85,
                             fillColor: CLASS_COLORS[f.properties.label.split(" ;")[0]] || NONE };
                  },
                  onEachFeature: function (f, cl) {
                    var q = f.properties;
                    cl.bindTooltip(SafeText.node(q.name + " — " + q.label +
                      (q.apl != null ? " (APL " + fmt(q.apl, 2) + ")" : "")), { sticky: true });
                    cl.on("click", function () { window.location = q.url; });
                  }
                }).addTo(communeLayers[code]);
                el.dataset.communesLoaded = String(Object.keys(communeLayers).length);
              });
          });
        }
        map.on("zoomend moveend", showCommunes);
        window.franceCommuneLayers = communeLayers;
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
