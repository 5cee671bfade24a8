// Live progress by short polling of /api/jobs: bars move in place; a change of state or a
// new job reloads the page (the server renders everything else).
"use strict";
(function () {
  const POLL_MS = 1000;

  function pollList(box) {
    const params = new URLSearchParams({ page: box.dataset.page, per_page: "50" });
    if (box.dataset.state) params.set("state", box.dataset.state);
    fetch("/api/jobs?" + params, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((jobs) => {
        const rows = new Map();
        box.querySelectorAll("tbody tr").forEach((tr) => rows.set(Number(tr.dataset.id), tr));
        for (const job of jobs) {
          const tr = rows.get(job.id);
          if (!tr || tr.dataset.state !== job.state) { location.reload(); return; }
          const bar = tr.querySelector("progress");
          if (bar) bar.value = job.progress;
        }
        setTimeout(() => pollList(box), POLL_MS);
      })
      .catch(() => setTimeout(() => pollList(box), POLL_MS * 4));
  }

  function pollJob(box) {
    fetch("/api/jobs/" + box.dataset.id, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((job) => {
        if (job.state !== box.dataset.state || job.thumbs.join(",") !== box.dataset.thumbs) {
          location.reload();
          return;
        }
        const bar = box.querySelector("progress");
        if (bar) bar.value = job.progress;
        const pct = document.getElementById("pct");
        if (pct) pct.textContent = Math.round(job.progress) + " %";
        setTimeout(() => pollJob(box), POLL_MS);
      })
      .catch(() => setTimeout(() => pollJob(box), POLL_MS * 4));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const list = document.getElementById("jobs-page");
    if (list) setTimeout(() => pollList(list), POLL_MS);
    const box = document.getElementById("job");
    if (box) setTimeout(() => pollJob(box), POLL_MS);
    document.querySelectorAll("button.copy").forEach((b) =>
      b.addEventListener("click", () => {
        navigator.clipboard.writeText(b.dataset.copy).then(() => {
          b.textContent = "copied";
        });
      })
    );
  });
})();
