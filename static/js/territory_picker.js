/* Type-ahead for territory fields and the header search (ARIA 1.2 combobox with a listbox).
 *
 * An <input data-territory-suggest="/territoires/suggestions/"> gets suggestions while typing;
 * data-levels restricts the levels, data-within (« niveau:code ») the communes of one zone;
 * data-append-to (an element id) adds the chosen label as a line of that list field;
 * data-navigate sends the browser to the chosen territory's page (the header search) instead of
 * filling the field. Keyboard: ↓/↑ move, Entrée chooses, Échap closes. Suggestions are inserted
 * as text (SafeText), never as HTML.
 */
(function () {
  "use strict";
  var counter = 0;

  function setup(input) {
    counter += 1;
    var id = input.id || "territory-input-" + counter;
    input.id = id;
    var list = document.createElement("ul");
    list.id = id + "-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions de territoires");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var wrapper = document.createElement("div");
    wrapper.className = "combobox";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    var results = [];
    var active = -1;
    var timer = null;
    var requestNumber = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var entry = results[index];
      if (!entry) return;
      close();
      if (input.hasAttribute("data-navigate")) {
        window.location.assign(entry.url);
        return;
      }
      var target = input.dataset.appendTo && document.getElementById(input.dataset.appendTo);
      if (target) {
        /* data-append-to: the chosen territory joins a list field, one per line. */
        var lines = target.value.split("\n").filter(function (l) { return l.trim(); });
        if (lines.indexOf(entry.label) < 0) lines.push(entry.label);
        target.value = lines.join("\n");
        input.value = "";
        status.textContent = entry.label + " ajouté à la liste.";
      } else {
        input.value = entry.label;
      }
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.dispatchEvent(new CustomEvent("territory:chosen", { bubbles: true, detail: entry }));
    }

    function render(entries) {
      results = entries;
      while (list.firstChild) list.removeChild(list.firstChild);
      entries.forEach(function (entry, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.appendChild(SafeText.el("span", "suggestion-name", entry.name));
        option.appendChild(SafeText.el("span", "suggestion-detail", entry.detail + " · " + entry.code));
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
      });
      active = -1;
      if (entries.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = entries.length + (entries.length > 1 ? " suggestions" : " suggestion") +
          " : flèches haut et bas pour parcourir, Entrée pour choisir.";
      } else {
        close();
        status.textContent = input.value.trim() ? "Aucune suggestion." : "";
      }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < 2) {
        render([]);
        return;
      }
      var params = new URLSearchParams({ q: query });
      if (input.dataset.levels) params.set("niveaux", input.dataset.levels);
      if (input.dataset.within) params.set("dans", input.dataset.within);
      requestNumber += 1;
      var mine = requestNumber;
      fetch(input.getAttribute("data-territory-suggest") + "?" + params.toString(), {
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (mine === requestNumber && document.activeElement === input) render(data.results || []);
        })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { fetchSuggestions(); return; }
        highlight(active + 1 >= results.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active <= 0 ? results.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  function init() {
    document.querySelectorAll("input[data-territory-suggest]").forEach(setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
