/* « Où agir » block of territory pages: the three best communes for one more GP, from the public
   API (text only). */
(function () {
  "use strict";
  function init() {
    var box = document.getElementById("where-to-act");
    if (!box || box.dataset.filled) { return; }
    box.dataset.filled = "1";
    var list = box.querySelector(".where-to-act-list");
    fetch(box.dataset.api, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.classement) { return; }
        data.classement.forEach(function (row) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = row.whatif_url;
          link.textContent = row.name;
          item.appendChild(link);
          var apl = row.apl_before != null ? "APL " + row.apl_before.toLocaleString("fr-FR", { maximumFractionDigits: 2 }) + " ; " : "";
          item.appendChild(document.createTextNode(" (" + apl + Math.round(row.population_reached).toLocaleString("fr-FR") +
            " habitants à moins de 20 min ; " + Math.round(row.lifted_total).toLocaleString("fr-FR") + " passeraient au-dessus de 2,5)"));
          list.appendChild(item);
        });
      })
      .catch(function () { /* the link remains */ });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
