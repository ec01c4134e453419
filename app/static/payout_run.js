// Poll a payout run's progress (the URL is the page's data-progress-url) until it ends, then
// reload to show the payouts. Stops when the page is left.
(function () {
  "use strict";
  var holder = document.querySelector("[data-progress-url]");
  if (!holder) return;
  var url = holder.getAttribute("data-progress-url");
  (function poll() {
    if (!document.body.contains(holder)) return;
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(function (run) {
        var bar = document.getElementById("run-progress");
        bar.max = run.total || 1; bar.value = run.done;
        document.getElementById("run-count").textContent = run.done + " / " + run.total;
        document.getElementById("run-paid").textContent = run.paid;
        document.getElementById("run-status").textContent = run.status;
        if (run.status === "queued" || run.status === "running") setTimeout(poll, 1000);
        else location.reload();
      }).catch(function () { setTimeout(poll, 3000); });
  })();
})();
