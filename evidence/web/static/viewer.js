// Document viewer: position overlays from their bbox (page fractions), layer toggles, zoom,
// hover details. No inline script (CSP); data arrives in data-* attributes, read as text.
(function () {
  "use strict";
  var page = document.getElementById("page");
  if (!page) return;
  var overlays = page.querySelectorAll(".ov");
  overlays.forEach(function (el) {
    var b = (el.getAttribute("data-bbox") || "").split(",").map(Number);
    if (b.length !== 4 || b.some(isNaN)) { el.hidden = true; return; }
    el.style.left = (b[0] * 100) + "%";
    el.style.top = (b[1] * 100) + "%";
    el.style.width = Math.max(0.3, (b[2] - b[0]) * 100) + "%";
    el.style.height = Math.max(0.3, (b[3] - b[1]) * 100) + "%";
  });
  document.querySelectorAll("input.layer").forEach(function (box) {
    box.addEventListener("change", function () {
      page.classList.toggle("hide-" + box.value, !box.checked);
    });
  });
  var zoom = 1.0;
  var level = document.getElementById("zoom-level");
  function applyZoom() {
    page.style.width = (zoom * 100) + "%";
    if (level) level.textContent = Math.round(zoom * 100) + "%";
  }
  var zin = document.getElementById("zoom-in"), zout = document.getElementById("zoom-out");
  if (zin) zin.addEventListener("click", function () { zoom = Math.min(4, zoom * 1.25); applyZoom(); });
  if (zout) zout.addEventListener("click", function () { zoom = Math.max(0.5, zoom / 1.25); applyZoom(); });
  var tip = document.getElementById("tip");
  overlays.forEach(function (el) {
    el.addEventListener("mousemove", function (ev) {
      tip.textContent = el.getAttribute("data-info") || "";
      tip.style.display = "block";
      tip.style.left = (ev.clientX + 14) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    });
    el.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  });
  var hl = document.getElementById("highlight");
  if (hl) {
    var img = document.getElementById("page-img");
    var go = function () { hl.scrollIntoView({block: "center", inline: "center"}); };
    if (img && !img.complete) img.addEventListener("load", go); else go();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.target && /INPUT|TEXTAREA|SELECT/.test(ev.target.tagName)) return;
    if (ev.key === "ArrowLeft") { var p = document.getElementById("prev"); if (p) p.click(); }
    if (ev.key === "ArrowRight") { var n = document.getElementById("next"); if (n) n.click(); }
  });
})();
