/* Report Remove page: hash the chosen image here, show the codes, send only the codes.
   The file input has no name, so the form cannot carry the file even if this fails. */
(function () {
  "use strict";
  var form = document.getElementById("rr-form");
  if (!form || !window.TellsafeHash) { return; }
  var input = document.getElementById("rr-file");
  var status = document.getElementById("rr-status");
  var send = document.getElementById("rr-send");
  var numbers = document.getElementById("rr-numbers");
  var fields = ["pdq", "quality", "md5", "sha256"];

  function clear() {
    fields.forEach(function (f) { document.getElementById("rr-" + f).value = ""; });
    numbers.hidden = true;
    send.disabled = true;
  }

  input.addEventListener("change", hashChosen);
  // A file chosen before this script ran (a slow page, a quick child) still counts.
  if (input.files && input.files.length) { hashChosen(); }

  function hashChosen() {
    clear();
    var file = input.files && input.files[0];
    if (!file) { return; }
    status.textContent = form.dataset.working;
    window.TellsafeHash.hashFile(file).then(function (h) {
      document.getElementById("rr-pdq").value = h.pdq;
      document.getElementById("rr-quality").value = String(h.quality);
      document.getElementById("rr-md5").value = h.md5;
      document.getElementById("rr-sha256").value = h.sha256;
      document.getElementById("rr-show-pdq").textContent = h.pdq;
      document.getElementById("rr-show-md5").textContent = h.md5;
      document.getElementById("rr-show-sha256").textContent = h.sha256;
      numbers.hidden = false;
      status.textContent = "";
      send.disabled = false;
      send.focus();
    }, function (err) {
      status.textContent = err && err.code === "too_large"
        ? form.dataset.errorTooLarge : form.dataset.errorNotImage;
      input.value = "";
    });
  }

  form.addEventListener("submit", function (event) {
    if (!document.getElementById("rr-pdq").value) { event.preventDefault(); }
    input.value = "";  // nothing of the file stays in the page once the codes are sent
  });
})();
