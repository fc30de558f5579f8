// Title suggestions as you type, for every search box that names a suggestion URL.
(function () {
  "use strict";
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var form = input.form;
    var timer = null;
    var latest = 0;
    if (!list) return;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) { list.innerHTML = ""; return; }
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
            list.innerHTML = "";
            data.suggestions.forEach(function (suggestion) {
              var option = document.createElement("option");
              option.value = suggestion.title;
              list.appendChild(option);
            });
          })
          .catch(function () { list.innerHTML = ""; });
      }, 150);
    });
  });
})();
