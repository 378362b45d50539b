/* The printable summary's "Print" button (no inline scripts: the page's policy forbids them). */
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
