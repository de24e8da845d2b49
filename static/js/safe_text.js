/* User text never reaches the DOM as HTML. Leaflet's bindTooltip / bindPopup and control labels
   take a string as innerHTML: give them a node built from text instead. */
(function () {
  "use strict";
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text != null) { node.textContent = String(text); }
    return node;
  }
  /* For the few Leaflet APIs that only take an HTML string (L.control.layers labels). */
  function escape(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  window.SafeText = { node: textNode, el: el, escape: escape };
})();
