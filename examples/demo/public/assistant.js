// examples/demo/public/assistant.js — the assistant panel of the case page
// (SPEC §9): a job in the database queue (job:enqueue), worked by
// examples/assistant/worker.py, its answer streamed back word by word
// (job:chunk, placed by seq so a chunk delivered twice shows once).
"use strict";

Demo.assistant = (function () {
  let main = null;
  let jobId = null;
  let chunks = [];

  function render() {
    Demo.$("answer").textContent = chunks.filter(Boolean).join("") || "";
  }
  function state(text, running) {
    Demo.$("job-state").textContent = text;
    Demo.$("cancel-btn").hidden = !running;
    Demo.$("ask-btn").disabled = running;
  }

  function reset(caseNumber) {
    jobId = null;
    chunks = [];
    render();
    state("", false);
    Demo.$("ask-input").value = `Why did case #${caseNumber} escalate?`;
  }

  function init(mainSocket) {
    main = mainSocket;
    Demo.$("ask-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const prompt = Demo.$("ask-input").value.trim();
      if (!prompt) return;
      chunks = [];
      render();
      state("Sending…", true);
      const ack = await Demo.request(main, "job:enqueue", { kind: "assistant", payload: { prompt, words: 40 } });
      if (ack && ack.id) {
        jobId = ack.id;
        state("Queued", true);
      } else state(`Not sent: ${Demo.errorText(ack)}`, false);
    });
    Demo.$("cancel-btn").addEventListener("click", () => {
      if (jobId) Demo.request(main, "job:cancel", { id: jobId });
    });
    const mine = (d) => d && d.id === jobId;
    main.on("job:queued", (d) => {
      if (!mine(d)) return;
      state(d.retry ? `Retrying in ${d.retryInMs} ms (${d.error})` : `Queued, position ${d.position}`, true);
      if (d.retry) chunks = [];
    });
    main.on("job:started", (d) => mine(d) && state("Thinking…", true));
    main.on("job:progress", (d) => mine(d) && state(`Writing… ${d.progress}%`, true));
    main.on("job:chunk", (d) => {
      if (!mine(d)) return;
      chunks[d.seq] = d.text;
      render();
    });
    main.on("job:completed", (d) => mine(d) && state(d.cached ? "Done (cached)" : "Done", false));
    main.on("job:failed", (d) => mine(d) && state(`Failed: ${d.error}`, false));
    main.on("job:cancelled", (d) => mine(d) && state("Cancelled", false));
  }

  return { init, reset };
})();
