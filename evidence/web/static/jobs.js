// Re-processing progress on the submission page: poll the job list while a job is queued or
// running; cells are filled with textContent (never HTML).
(function () {
  "use strict";
  var table = document.getElementById("job-table");
  if (!table) return;
  var body = table.querySelector("tbody");
  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function render(jobs) {
    if (!jobs.length) return;
    body.textContent = "";
    jobs.forEach(function (j) {
      var tr = document.createElement("tr");
      cell(tr, "#" + j.id);
      cell(tr, j.target, "mono");
      cell(tr, j.username);
      cell(tr, j.state + (j.error ? "：" + j.error : ""), "state-" + j.state);
      var td = cell(tr, "");
      var bar = document.createElement("progress");
      bar.max = j.total || 1; bar.value = j.done;
      td.appendChild(bar);
      td.appendChild(document.createTextNode(" " + j.done + "/" + j.total + (j.failed ? " 失败 " + j.failed : "")));
      cell(tr, (j.created_at || "").replace("T", " ").slice(0, 19) + " UTC", "mono");
      body.appendChild(tr);
    });
  }
  var wasBusy = false;
  function poll() {
    fetch(table.getAttribute("data-url"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (jobs) {
        render(jobs);
        var busy = jobs.some(function (j) { return j.state === "queued" || j.state === "running"; });
        if (busy) setTimeout(poll, 2000);
        else if (wasBusy) window.location.reload();  // the review changed: show the new one
        wasBusy = busy;
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  var initiallyBusy = Array.prototype.some.call(body.querySelectorAll("td[class^=state-]"), function (td) {
    return /state-(queued|running)/.test(td.className);
  });
  if (initiallyBusy) { wasBusy = true; poll(); }
})();
