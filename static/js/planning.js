/* « Où installer des médecins ? »: the map of the candidates coloured by score (GeoJSON from
   data-geojson), the curve « population sous le seuil » against N (JSON in #planning-curve; the
   table beside gives the same figures) and the polling of an exact job. Text only, never HTML. */
(function () {
  "use strict";
  var COLORS = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"];
  function fr(x, digits) { return Number(x).toLocaleString("fr-FR", { maximumFractionDigits: digits || 0 }); }

  function drawMap() {
    var el = document.getElementById("planning-map");
    if (!el || typeof L === "undefined") { return; }
    var map = L.map(el, { scrollWheelZoom: false });
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "&copy; les contributeurs d’OpenStreetMap"
    }).addTo(map);
    map.setView([46.6, 2.4], 6);
    fetch(el.dataset.geojson, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var scores = (data.features || []).map(function (f) { return f.properties.score; }).sort(function (a, b) { return a - b; });
        var breaks = [0.2, 0.4, 0.6, 0.8].map(function (q) { return scores.length ? scores[Math.floor(q * (scores.length - 1))] : 0; });
        function colour(s) {
          var k = 0;
          while (k < breaks.length && s > breaks[k]) { k += 1; }
          return COLORS[k];
        }
        var layer = L.geoJSON(data, {
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 5 }); },
          style: function (f) {
            var top = f.properties.rank <= 3;
            return { color: top ? "#000000" : "#555555", weight: top ? 3 : 0.5, fillColor: colour(f.properties.score), fillOpacity: 0.8 };
          },
          onEachFeature: function (f, l) {
            var p = f.properties;
            var text = p.rank + "e — " + p.name + " : réduction du déficit " + fr(p.deficit) +
              (p.apl != null ? " (APL officielle " + fr(p.apl, 2) + ")" : "");
            l.bindTooltip(SafeText.node(text));
            if (p.url) { l.on("click", function () { window.location = p.url; }); }
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
        if (window.CommuneLabels) { CommuneLabels.fromGeoJSON(map, layer); }
        var legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          var div = L.DomUtil.create("div", "legend");
          div.appendChild(SafeText.el("strong", null, data.score_label || "Score"));
          var labels = ["le plus faible", "", "", "", "le plus fort"];
          COLORS.forEach(function (c, k) {
            var row = SafeText.el("div");
            var swatch = SafeText.el("span", "swatch");
            swatch.style.background = c;
            row.appendChild(swatch);
            row.appendChild(document.createTextNode(" " + labels[k]));
            div.appendChild(row);
          });
          var top = SafeText.el("div");
          top.appendChild(SafeText.el("span", "swatch swatch-outline"));
          top.appendChild(document.createTextNode(" les 3 meilleures"));
          div.appendChild(top);
          return div;
        };
        legend.addTo(map);
      });
  }

  function drawChart() {
    var holder = document.getElementById("planning-chart");
    var script = document.getElementById("planning-curve");
    if (!holder || !script) { return; }
    var points;
    try { points = JSON.parse(script.textContent) || []; } catch (e) { return; }
    if (points.length < 2) { return; }
    var NS = "http://www.w3.org/2000/svg";
    var W = 640, H = 250, left = 70, bottom = 30, top = 26, right = 10;
    var maxN = points[points.length - 1].gps;
    var maxY = Math.max.apply(null, points.map(function (p) { return p.population_under; })) || 1;
    function x(n) { return left + (W - left - right) * n / maxN; }
    function y(v) { return top + (H - top - bottom) * (1 - v / maxY); }
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", holder.dataset.label + " : de " + fr(points[0].population_under) + " à " + fr(points[points.length - 1].population_under));
    function add(tag, attrs, text) {
      var node = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (text != null) { node.textContent = text; }
      svg.appendChild(node);
      return node;
    }
    add("line", { x1: left, y1: y(0), x2: W - right, y2: y(0), stroke: "#777" });
    add("line", { x1: left, y1: top, x2: left, y2: y(0), stroke: "#777" });
    [0, 0.5, 1].forEach(function (q) {
      add("text", { x: left - 6, y: y(q * maxY) + 4, "text-anchor": "end", "font-size": 12 }, fr(Math.round(q * maxY / 100) * 100));
    });
    add("text", { x: left - 60, y: 12, "font-size": 12, fill: "#444" }, "habitants sous le seuil");
    add("text", { x: left, y: H - 8, "font-size": 12 }, "0");
    add("text", { x: W - right, y: H - 8, "text-anchor": "end", "font-size": 12 }, maxN + " médecins");
    var d = points.map(function (p, k) { return (k ? "L" : "M") + x(p.gps).toFixed(1) + " " + y(p.population_under).toFixed(1); }).join(" ");
    add("path", { d: d, fill: "none", stroke: "#045a8d", "stroke-width": 2.5 });
    holder.appendChild(svg);
  }

  function pollExact() {
    document.querySelectorAll(".exact-plan[data-active='1']").forEach(function (box) {
      var label = box.querySelector(".exact-label");
      var step = box.querySelector(".exact-step");
      function poll() {
        fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (s) {
            if (label) { label.textContent = s.status_label; }
            if (step) { step.textContent = s.step; }
            if (s.done) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
          })
          .catch(function () { window.setTimeout(poll, 5000); });
      }
      window.setTimeout(poll, 1500);
    });
  }

  function init() { drawMap(); drawChart(); pollExact(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
