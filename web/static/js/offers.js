/* Offers: skill suggestions for comma-separated tag fields (the form works without this file).
   A <datalist> only suggests whole values; this keeps the tags already typed in front of
   each suggestion, so choosing one completes the last tag instead of replacing the field. */
(function () {
  "use strict";
  var list = document.getElementById("skill-suggestions");
  if (!list) { return; }
  var skills = Array.prototype.map.call(list.options, function (o) { return o.value; });

  function refresh(input) {
    var value = input.value;
    var cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";"));
    var prefix = cut >= 0 ? value.slice(0, cut + 1).replace(/\s*$/, " ") : "";
    var typed = prefix ? prefix.split(/[,;]/).map(function (t) { return t.trim().toLowerCase(); }) : [];
    var own = document.getElementById(input.id + "-suggestions");
    if (!own) {
      own = document.createElement("datalist");
      own.id = input.id + "-suggestions";
      input.parentNode.appendChild(own);
      input.setAttribute("list", own.id);
    }
    while (own.firstChild) { own.removeChild(own.firstChild); }
    skills.forEach(function (skill) {
      if (typed.indexOf(skill.toLowerCase()) >= 0) { return; }
      var option = document.createElement("option");
      option.value = prefix + skill;
      own.appendChild(option);
    });
  }

  document.querySelectorAll("input[data-tags]").forEach(function (input) {
    input.addEventListener("input", function () { refresh(input); });
    input.addEventListener("focus", function () { refresh(input); });
  });
})();
