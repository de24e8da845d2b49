/* Commune names on a map once zoomed in (zoom ≥ 10): one label per commune, the most populous
   first; a label that would overlap one already placed is left out (it shows when zooming further).
   Names are set as text (textContent), never as HTML. Labels take no click: a click or a tap on a
   name reaches the commune under it. Used by zone_map.js, planning.js and perimeter_pick.js. */
(function () {
  "use strict";
  var MIN_ZOOM = 10;
  var CHAR_PX = 6.4;   // width of a character at the label's font size (0.72rem), roughly
  var LINE_PX = 15;

  function anchorOf(feature, layer) {
    var at = feature.properties && feature.properties.label_at;
    if (at && at.length === 2) { return L.latLng(at[1], at[0]); }
    if (layer && layer.getLatLng) { return layer.getLatLng(); }
    return layer && layer.getBounds ? layer.getBounds().getCenter() : null;
  }

  function overlaps(a, b) {
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  }

  /* items: [{name, population, latlng}] */
  function attach(map, items, options) {
    var minZoom = (options && options.minZoom) || MIN_ZOOM;
    var sorted = items.filter(function (it) { return it.latlng && it.name; })
      .sort(function (a, b) { return (b.population || 0) - (a.population || 0); });
    var group = L.layerGroup().addTo(map);
    function refresh() {
      group.clearLayers();
      if (map.getZoom() < minZoom) { return; }
      var view = map.getBounds().pad(0.05);
      var placed = [];
      sorted.forEach(function (it) {
        if (!view.contains(it.latlng)) { return; }
        var p = map.latLngToContainerPoint(it.latlng);
        var half = (it.name.length * CHAR_PX + 8) / 2;
        var box = [p.x - half, p.y + 2, p.x + half, p.y + 2 + LINE_PX];
        for (var i = 0; i < placed.length; i++) { if (overlaps(box, placed[i])) { return; } }
        placed.push(box);
        var text = document.createElement("span");
        text.textContent = it.name;
        var icon = L.divIcon({ className: "commune-label", html: text, iconSize: null });
        L.marker(it.latlng, { icon: icon, interactive: false, keyboard: false, pane: "commune-labels" })
          .addTo(group);
      });
    }
    if (!map.getPane("commune-labels")) {
      // above the communes and the offers, below the tooltips; no pointer events (CSS)
      map.createPane("commune-labels").style.zIndex = 580;
    }
    map.on("zoomend moveend", refresh);
    refresh();
    return group;
  }

  /* Labels for the communes of a L.geoJSON layer (features of role "commune", or without role). */
  function fromGeoJSON(map, layer, options) {
    var items = [];
    layer.eachLayer(function (l) {
      var p = l.feature && l.feature.properties;
      if (!p || (p.role && p.role !== "commune")) { return; }
      items.push({ name: p.name, population: p.population, latlng: anchorOf(l.feature, l) });
    });
    return attach(map, items, options);
  }

  window.CommuneLabels = { attach: attach, fromGeoJSON: fromGeoJSON, MIN_ZOOM: MIN_ZOOM };
})();
