/* Map of an offer: shows its point; in the form, a click on the map places the site and fills
   the latitude / longitude fields (which remain the keyboard-accessible way to do the same).
   Works without tiles (offline): the map still receives clicks. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("offer-map");
    if (!el || typeof L === "undefined") { return; }
    var map = L.map(el, { scrollWheelZoom: false });
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "&copy; les contributeurs d’OpenStreetMap"
    }).addTo(map);
    var latInput = el.dataset.latInput ? document.getElementById(el.dataset.latInput) : null;
    var lonInput = el.dataset.lonInput ? document.getElementById(el.dataset.lonInput) : null;
    var marker = null;
    function place(lat, lon) {
      if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon]).addTo(map); }
    }
    var startLat = latInput && latInput.value ? parseFloat(latInput.value.replace(",", ".")) : NaN;
    var startLon = lonInput && lonInput.value ? parseFloat(lonInput.value.replace(",", ".")) : NaN;
    if (!isNaN(startLat) && !isNaN(startLon)) {
      map.setView([startLat, startLon], 13);
      place(startLat, startLon);
    } else if (el.dataset.bounds) {
      var b = el.dataset.bounds.split(",").map(parseFloat);
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    } else {
      map.setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], parseInt(el.dataset.zoom || "6", 10));
      if (el.dataset.readonly) { place(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)); }
    }
    if (latInput && lonInput) {
      map.on("click", function (e) {
        latInput.value = e.latlng.lat.toFixed(6);
        lonInput.value = e.latlng.lng.toFixed(6);
        place(e.latlng.lat, e.latlng.lng);
        el.dataset.placed = "1";
      });
      var sync = function () {
        var lat = parseFloat(latInput.value.replace(",", ".")), lon = parseFloat(lonInput.value.replace(",", "."));
        if (!isNaN(lat) && !isNaN(lon)) { place(lat, lon); map.panTo([lat, lon]); }
      };
      latInput.addEventListener("change", sync);
      lonInput.addEventListener("change", sync);
    }
    window.offerMap = map;
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
