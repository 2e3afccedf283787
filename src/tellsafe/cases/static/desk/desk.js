/* The desk works without this file; it only adds small conveniences. */
(function () {
  "use strict";
  // Message templates: choosing one fills the message box (the server also accepts the
  // template choice on its own, so this is a shortcut, not a requirement).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-template-target]")) { return; }
    var option = select.options[select.selectedIndex];
    var target = document.getElementById(select.getAttribute("data-template-target"));
    if (target && option && option.getAttribute("data-text")) {
      target.value = option.getAttribute("data-text");
    }
  });
})();
