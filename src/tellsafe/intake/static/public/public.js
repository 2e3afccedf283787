/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  // Quick exit: hide the page at once, and replace this page in the history.
  function leave(href) {
    document.body.classList.add("exiting");
    try { history.replaceState(null, "", "/"); } catch (e) { /* ignore */ }
    window.location.replace(href);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.exit-link");
    if (link) { event.preventDefault(); leave(link.href); }
  });

  // Shift pressed three times within five seconds leaves too (no single-key shortcut).
  var presses = 0, timer = null, other = false;
  document.addEventListener("keydown", function (event) { other = event.key !== "Shift"; });
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift" || other) { presses = 0; return; }
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { presses = 0; }, 5000);
    if (presses >= 3) {
      var link = document.querySelector("a.exit-button");
      if (link) { leave(link.href); }
    }
  });

  // "Are you safe right now?": a "no" shows emergency help at once.
  var danger = document.getElementById("danger-now");
  if (danger) {
    var update = function () {
      var no = document.querySelector("input[data-danger]");
      danger.hidden = !(no && no.checked);
    };
    document.addEventListener("change", update);
    update();
  }

  // Back from a bfcache restore after a quick exit: show the page again.
  window.addEventListener("pageshow", function () { document.body.classList.remove("exiting"); });
})();
