/* Perimeter form: pick communes on a map. Choosing a département draws its communes; a click on a
   commune adds its INSEE code to the codes field (#id_codes), a second click removes it. The codes
   field, the search and the paste remain the keyboard-accessible ways to do the same. */
(function () {
  "use strict";
  var SELECTED = { color: "#08465d", weight: 2, fillColor: "#0b5e7d", fillOpacity: 0.6 };
  var FREE = { color: "#555555", weight: 0.6, fillColor: "#ffffff", fillOpacity: 0.3 };
  function init() {
    var el = document.getElementById("pick-map");
    var select = document.getElementById("pick-departement");
    var field = document.getElementById("id_codes");
    if (!el || !select || !field || typeof L === "undefined") { return; }
    var map = L.map(el, { scrollWheelZoom: false });
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "&copy; les contributeurs d’OpenStreetMap"
    }).addTo(map);
    map.setView([46.6, 2.4], 5);
    var layer = null;
    function codes() { return field.value.split(/[\s,;]+/).filter(function (c) { return c; }); }
    function toggle(code) {
      var list = codes(), i = list.indexOf(code);
      if (i >= 0) { list.splice(i, 1); } else { list.push(code); }
      field.value = list.join("\n");
      field.dispatchEvent(new Event("change"));
    }
    function restyle() {
      if (!layer) { return; }
      var chosen = {};
      codes().forEach(function (c) { chosen[c] = true; });
      layer.eachLayer(function (l) { l.setStyle(chosen[l.feature.properties.code] ? SELECTED : FREE); });
      el.dataset.selected = String(Object.keys(chosen).length);
    }
    var labels = null;
    /* The map fits the perimeter's communes when it has some in this département (an existing
       perimeter opens on them), else the whole département. */
    function fit() {
      var chosen = {}, bounds = null;
      codes().forEach(function (c) { chosen[c] = true; });
      layer.eachLayer(function (l) {
        if (!chosen[l.feature.properties.code]) { return; }
        if (bounds) { bounds.extend(l.getBounds()); } else { bounds = L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast()); }
      });
      map.fitBounds(bounds || layer.getBounds(), { padding: [12, 12], maxZoom: 12 });
    }
    function load() {
      if (!select.value) { return; }
      fetch(el.dataset.template.replace("CODE", select.value), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (layer) { map.removeLayer(layer); }
          if (labels) { map.removeLayer(labels); }
          var communes = data.features.filter(function (f) { return f.properties.role === "commune"; });
          layer = L.geoJSON({ type: "FeatureCollection", features: communes }, {
            onEachFeature: function (f, l) {
              l.bindTooltip(SafeText.node(f.properties.name + " (" + f.properties.code + ")"), { sticky: true });
              l.on("click", function () { toggle(f.properties.code); restyle(); });
            }
          }).addTo(map);
          fit();
          if (window.CommuneLabels) { labels = CommuneLabels.fromGeoJSON(map, layer); }
          restyle();
          window.pickLayer = layer;
        });
    }
    select.addEventListener("change", load);
    if (!select.value && select.dataset.initial && codes().length) { select.value = select.dataset.initial; }
    if (select.value) { load(); }
    field.addEventListener("input", restyle);
    field.addEventListener("change", restyle);
    window.pickMap = map;
  }
  /* A commune chosen in the suggestions joins the codes field at once (no round trip). */
  function initSuggest() {
    var query = document.getElementById("id_query");
    var field = document.getElementById("id_codes");
    if (!query || !field) { return; }
    query.addEventListener("territory:chosen", function (event) {
      var code = event.detail.code;
      var list = field.value.split(/[\s,;]+/).filter(function (c) { return c; });
      if (list.indexOf(code) < 0) { list.push(code); }
      field.value = list.join("\n");
      query.value = "";
      field.dispatchEvent(new Event("change"));
      var status = document.getElementById("pick-status");
      if (status) { status.textContent = event.detail.name + " (" + code + ") ajoutée au périmètre."; }
    });
  }
  function start() { initSuggest(); init(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
