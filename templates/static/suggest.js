// Title suggestions as you type, for every search box that names a suggestion URL.
// The suggestions are a list box under the box (an ARIA combobox): arrow keys move through
// them, Enter or a click chooses one, and choosing one searches for it. A browser's own
// <datalist> popup could do neither of the last two, nor be read by every screen reader.
(function () {
  "use strict";
  var HAN = /[\u3400-\u9fff]/;
  var english = document.documentElement.lang !== "zh-Hans";

  document.querySelectorAll("input[data-suggest]").forEach(function (input, number) {
    var form = input.form;
    var datalist = document.getElementById(input.getAttribute("list") || "");
    if (datalist) datalist.remove();
    input.removeAttribute("list");

    var list = document.createElement("ul");
    list.id = (input.id || "search") + "-suggestions-" + number;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var timer = null;
    var latest = 0;
    var active = -1;

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var all = options();
      all.forEach(function (option, n) {
        option.setAttribute("aria-selected", n === index ? "true" : "false");
      });
      active = index;
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.value = option.dataset.value;
      close();
      if (!form) return;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }

    function show(titles) {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      titles.forEach(function (title, n) {
        var option = document.createElement("li");
        option.id = list.id + "-" + n;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.value = title;
        option.textContent = title;
        if (english && HAN.test(title)) option.lang = "zh-Hans";
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(option); });
        list.appendChild(option);
      });
      list.style.left = input.offsetLeft + "px";
      list.style.width = input.offsetWidth + "px";
      list.hidden = titles.length === 0;
      input.setAttribute("aria-expanded", titles.length ? "true" : "false");
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) { close(); return; }
      timer = setTimeout(function () {
        var ticket = ++latest;
        var url = new URL(input.dataset.suggest, window.location.href);
        url.searchParams.set("q", text);
        var scope = form && form.querySelector("input[name=collection]");
        if (scope) url.searchParams.set("collection", scope.value);
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) {
            if (ticket !== latest) return;
            var seen = {};
            show(data.suggestions.map(function (s) { return s.title; }).filter(function (title) {
              return seen[title] ? false : (seen[title] = true);
            }));
          })
          .catch(close);
      }, 150);
    });

    input.addEventListener("keydown", function (event) {
      var all = options();
      if (list.hidden || !all.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % all.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? all.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(all[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  });
})();
