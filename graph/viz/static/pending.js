// The question page while its figures are computed (a job of the server): poll the job,
// show its progress, and load the page again once it is done (the figures are then cached).
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("pending-config").textContent);
  const status = document.getElementById("pending-status");
  const bar = document.getElementById("pending-progress");
  const started = Date.now();
  const POLL_MS = 1000;

  function show(job) {
    const seconds = Math.round((Date.now() - started) / 1000);
    let text = `Computing the answer: ${seconds} s so far`;
    if (job.phase) text += `, ${job.phase}`;
    if (job.total) {
      bar.max = job.total;
      bar.value = job.done;
      text += ` (${job.done} of ${job.total} ${job.unit})`;
    }
    if (job.eta !== null && job.eta !== undefined) text += `, about ${Math.ceil(job.eta)} s left`;
    status.textContent = text + ".";
  }

  async function poll() {
    let job;
    try {
      const answer = await fetch(config.job, { headers: { Accept: "application/json" } });
      if (answer.status === 404) {  // forgotten (a restart): ask for the page again
        window.location.reload();
        return;
      }
      job = await answer.json();
    } catch (error) {
      status.textContent = `The server could not be reached (${error.message}); trying again.`;
      window.setTimeout(poll, POLL_MS * 5);
      return;
    }
    if (job.state === "done") {
      const again = new URL(window.location.href);
      again.searchParams.set("job", config.id);
      window.location.replace(again.toString());
    } else if (job.state === "failed") {
      const reason = (job.result && job.result.error) || `status ${job.status}`;
      status.textContent = `The answer could not be computed: ${reason}`;
      bar.remove();
      document.querySelector("main").setAttribute("aria-busy", "false");
    } else {
      show(job);
      window.setTimeout(poll, POLL_MS);
    }
  }
  window.setTimeout(poll, POLL_MS);
})();
