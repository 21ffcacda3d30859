// The main thread of comlink_rpc.html: JS Comlink wraps the Python object that calculator.py exposes
// in a Pyodide worker; then Pyodide on this thread wraps the same worker with comlink_py.
import { Comlink, loadPython, startPythonWorker } from "../../js_shim/browser.mjs";

const version = new URLSearchParams(location.search).get("pyodide") ?? "314";
const $ = (id) => document.getElementById(id);

function show(call, result, ok = true) {
  const row = $("results").insertRow();
  row.insertCell().textContent = call;
  const cell = row.insertCell();
  cell.textContent = typeof result === "string" ? result : JSON.stringify(result);
  cell.className = ok ? "ok" : "error";
  cell.dataset.call = call;
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

  show("calc.python", await calc.python);
  show("calc.add(2, 3)", await calc.add(2, 3));
  show('calc.greet("page")', await calc.greet("page"));
  try {
    await calc.fail("no such luck");
  } catch (error) {
    show('calc.fail("no such luck")', `${error.name}: ${error.message}`, error instanceof Error);
  }
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  const sums = await calc.checksum(Comlink.transfer(bytes.buffer, [bytes.buffer]));
  show("calc.checksum(transfer(1000 bytes))", `${JSON.stringify(sums)}; page's buffer now ${bytes.buffer.byteLength} bytes`);
  show("calc.count(5, proxy(onProgress))", await count(5));

  python.globals.set("worker", worker);
  const answer = await python.runPythonAsync(MAIN_PYTHON);
  show("main-thread Python → worker Python", answer.toJs());
  answer.destroy();

  // input() in the worker asks through this page's prompt: a blocking call over shared memory,
  // which needs a cross-origin isolated page (serve.py sends the headers).
  $("ask").addEventListener("click", async () => {
    try {
      show("calc.ask() → input()", await calc.ask());
    } catch (error) {
      show("calc.ask() → input()", `${error.name}: ${error.message}`, false);
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
