// The main thread of comlink_rpc.html: JS Comlink wraps the Python object that calculator.py exposes
// in a Pyodide worker; then Pyodide on this thread wraps the same worker with comlink_py.
import { Comlink, loadPython, startPythonWorker } from "../../js_shim/browser.mjs";

const version = new URLSearchParams(location.search).get("pyodide") ?? "314";
const $ = (id) => document.getElementById(id);

const BADGES = { value: "✓ value", "expected-error": "⚠ expected error", failure: "✗ failure" };

/** A row of the results table. `parts` is the result as [label, value] pairs (a label may be
 *  empty), so every value on the page says what it is; `value` (kept as JSON in data-value for
 *  the tests) is the raw result. */
function show(call, value, { parts = [["", value]], outcome = "value" } = {}) {
  const row = $("results").insertRow();
  row.dataset.outcome = outcome;
  row.insertCell().textContent = call;
  const cell = row.insertCell();
  cell.dataset.call = call;
  cell.dataset.value = JSON.stringify(value);
  parts.forEach(([label, part], i) => {
    if (i > 0) cell.append(" · ");
    const span = Object.assign(document.createElement("span"), { className: "part" });
    if (label) span.append(Object.assign(document.createElement("span"), { className: "label", textContent: `${label}: ` }));
    span.append(typeof part === "string" ? part : JSON.stringify(part));
    cell.append(span);
  });
  row.insertCell().append(Object.assign(document.createElement("span"), { className: "badge", textContent: BADGES[outcome] }));
}

// The callback Python calls back through (passed with Comlink.proxy): it draws progress in the DOM.
function onProgress(i, n) {
  $("progress").max = n;
  $("progress").value = i;
  $("progress-text").textContent = `${i} / ${n}`;
}

async function count(n) {
  return calc.count(n, Comlink.proxy(onProgress));
}

// Python on this thread: comlink_py.wrap over the Worker object, with a Python callback.
const MAIN_PYTHON = `
import comlink_py
from comlink_py.js import JsEndpoint

calc = comlink_py.wrap(JsEndpoint(worker))
steps = []
total = await calc.count(4, comlink_py.proxy(lambda i, n: steps.append(i)))
[await calc.add(20, 22), total, steps, await calc.python]
`;

let calc;
try {
  $("version").textContent = version;
  // startPythonWorker returns Comlink.wrap(worker) at once; calls wait until Python serves.
  const started = startPythonWorker({ pyodide: version, file: new URL("./calculator.py", import.meta.url) });
  const { worker } = started;
  calc = started.remote;
  const [python] = await Promise.all([loadPython({ pyodide: version }), started.ready]);

  const pythonVersion = await calc.python;
  show("calc.python", pythonVersion, { parts: [["the worker runs Python", pythonVersion]] });
  show("calc.add(2, 3)", await calc.add(2, 3));
  show('calc.greet("page")', await calc.greet("page"));
  try {
    const unexpected = await calc.fail("no such luck");
    show('calc.fail("no such luck")', unexpected, { parts: [["returned instead of raising", unexpected]], outcome: "failure" });
  } catch (error) {
    const text = `${error.name}: ${error.message}`;
    const parts = [["raised in Python, caught as a JS Error", text]];
    show('calc.fail("no such luck")', text, { parts, outcome: error instanceof Error ? "expected-error" : "failure" });
  }
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  const sums = await calc.checksum(Comlink.transfer(bytes.buffer, [bytes.buffer]));
  show("calc.checksum(transfer(1000 bytes))", { ...sums, pageBuffer: bytes.buffer.byteLength }, {
    parts: [["length", sums.length], ["sum", sums.sum], ["page's buffer after the transfer", `${bytes.buffer.byteLength} bytes`]],
  });
  const counted = await count(5);
  show("calc.count(5, proxy(onProgress))", counted, { parts: [["total", counted], ["progress calls", $("progress-text").textContent]] });

  python.globals.set("worker", worker);
  const answer = await python.runPythonAsync(MAIN_PYTHON);
  const [sum, total, steps, workerPython] = answer.toJs();
  answer.destroy();
  show("main-thread Python → worker Python", [sum, total, steps, workerPython], {
    parts: [["add(20, 22)", sum], ["count(4, callback)", total], ["callback saw", steps], ["worker's Python", workerPython]],
  });

  // input() in the worker asks through this page's prompt: a blocking call over shared memory,
  // which needs a cross-origin isolated page (serve.py sends the headers).
  $("ask").addEventListener("click", async () => {
    try {
      const answer = await calc.ask();
      show("calc.ask() → input()", answer, { parts: [["what Python made of the prompt's answer", answer]] });
    } catch (error) {
      show("calc.ask() → input()", `${error.name}: ${error.message}`, { outcome: "failure" });
    }
  });
  $("ask").disabled = false;

  // Handles for the browser console and the end-to-end test.
  window.demo = { Comlink, calc, worker, python, count };
  $("status").textContent = "ready";
  document.documentElement.dataset.state = "ready";
} catch (error) {
  $("status").textContent = `failed: ${error.name}: ${error.message}`;
  document.documentElement.dataset.state = "error";
  console.error(error);
}
