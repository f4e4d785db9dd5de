/* Shortlist: a "select all on this page" box for the bulk move. The page works without it. */
(function () {
  "use strict";

  function boxes() {
    return document.querySelectorAll('input[type=checkbox][name="application_ids"]');
  }

  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (!all) { return; }
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    document.addEventListener("change", function (event) {
      if (event.target.name !== "application_ids") { return; }
      var list = Array.prototype.slice.call(boxes());
      var checked = list.filter(function (box) { return box.checked; }).length;
      all.checked = checked === list.length;
      all.indeterminate = checked > 0 && checked < list.length;
    });
  });
})();
