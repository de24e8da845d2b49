/* Adds one layer per kind of care offer to the territory map (#zone-map, drawn by zone_map.js),
   from the offers' own GeoJSON endpoint (data-geojson on #offres-de-soins). */
(function () {
  "use strict";
  var COLORS = {
    msp: "#1b7837", cpts: "#762a83", centre_sante: "#2166ac", esp: "#5aae61",
    hopital: "#b2182b", urgences: "#e08214"
  };
  function offerCard(p, atCommune) {
    var div = SafeText.el("div", "offer-popup");
    div.appendChild(SafeText.el("strong", null, p.name + (p.synthetic ? " (synthétique)" : "")));
    div.appendChild(SafeText.el("div", null, p.kind_label + (atCommune ? " — placé au point de sa commune" : "")));
    var link = SafeText.el("a", null, "Fiche de l’offre");
    link.href = p.url;
    div.appendChild(link);
    return div;
  }
  function addLayers(map) {
    var section = document.getElementById("offres-de-soins");
    if (!section || section.dataset.loaded) { return; }
    section.dataset.loaded = "1";
    fetch(section.dataset.geojson, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var groups = {};
        var atPoint = {};  // offers already placed beside a commune's point
        if (!map.getPane("offers")) { map.createPane("offers").style.zIndex = 450; }  // above the communes
        data.features.forEach(function (f) {
          var kind = f.properties.kind;
          if (!groups[kind]) { groups[kind] = { label: f.properties.kind_label, layer: L.layerGroup() }; }
          var c = f.geometry.coordinates;
          var atCommune = f.properties.precision === "commune";
          var marker;
          if (atCommune) {
            // An offer placed at its commune's point sits beside it, up and to the right (several
            // offers of one commune in a row): a click on the point itself reaches the commune.
            var key = c[0] + "," + c[1];
            var rank = atPoint[key] = (atPoint[key] || 0) + 1;
            marker = L.marker([c[1], c[0]], {
              pane: "offers",
              icon: L.divIcon({ className: "offer-dot", html: "", iconSize: [12, 12], iconAnchor: [-6 - 13 * (rank - 1), 18] })
            });
            marker.on("add", function () {
              var icon = marker.getElement();
              if (icon) { icon.style.background = COLORS[kind] || "#333"; }
            });
          } else {
            marker = L.circleMarker([c[1], c[0]], {
              pane: "offers", radius: 7, color: "#fff", weight: 1, fillColor: COLORS[kind] || "#333", fillOpacity: 0.9
            });
          }
          // A click on a marker opens a small card (never leaves the page), and an offer placed
          // at its commune's point says so.
          marker.bindTooltip(SafeText.node(f.properties.name + (f.properties.synthetic ? " (synthétique)" : "") + " — " + f.properties.kind_label))
            .bindPopup(function () { return offerCard(f.properties, atCommune); })
            .addTo(groups[kind].layer);
        });
        var overlays = {};
        Object.keys(groups).forEach(function (kind) {
          groups[kind].layer.addTo(map);
          var n = groups[kind].layer.getLayers().length;
          overlays['<span class="swatch offer-kind-' + SafeText.escape(kind) + '"></span> ' + SafeText.escape(groups[kind].label) + " (" + n + ")"] = groups[kind].layer;
        });
        if (Object.keys(overlays).length) {
          // On a phone the open layer list would cover the zoom buttons: folded, at the bottom.
          var narrow = window.matchMedia && window.matchMedia("(max-width: 40rem)").matches;
          L.control.layers(null, overlays, { collapsed: narrow, position: narrow ? "bottomright" : "topright" }).addTo(map);
        }
        section.dispatchEvent(new CustomEvent("offers:layers", { detail: { groups: groups } }));
        window.offerLayers = groups;
      });
  }
  var mapEl = document.getElementById("zone-map");
  if (!mapEl) { return; }
  mapEl.addEventListener("zonemap:ready", function (e) { addLayers(e.detail.map); });
})();
