// Type-checked by tests/test_typescript.py: the browser entry's declarations (js_shim/browser.d.mts),
// with the DOM's Worker, used as a page would, and misused on the marked lines.
import { Comlink, loadPython, startPythonPool, startPythonWorker } from "comlink-py-shim/browser";
import type { Api } from "./api.js";

export async function page(): Promise<void> {
  const { remote, ready, worker, terminate } = startPythonWorker<Api>({
    pyodide: "0.28",
    file: "./api.py",
    files: "lib/",
    packages: ["wheels/tinypkg-1.0-py3-none-any.whl"],
    onProgress: (progress) => console.log(progress.kind === "files" ? progress.name : progress.done),
    debug: true,
  });
  await ready;
  const sum: number = await remote.add(1, 2);
  const port: MessagePort = new MessageChannel().port1;
  const again = Comlink.wrap<Api>(port);
  const version: string = await again.version;
  const pyodide = await loadPython({ pyodide: "314" });
  const answer: number = pyodide.runPython("1 + 1");
  worker.postMessage("ping");
  await terminate();
  console.log(sum, version, answer);
  const pool = startPythonPool<Api>({ size: 2, pyodide: "314", file: "./api.py", autoRestart: true });
  const pooled: number = await pool.remote.add(1, 2);
  const workers: Worker[] = pool.workers.map((each) => each.worker);
  await pool.terminate();
  console.log(pooled, workers);
  startPythonPool({ size: 2, code: "", unref: true }); // TS2353 unref is Node's
  startPythonWorker({ pyodide: "3.12", code: "" }); // TS2322 no such Pyodide build
  startPythonWorker({ code: "", file: "api.py" }); // TS2345 only one of code and file
  startPythonWorker({ host: {} }); // TS2345 neither code nor file
  const wrong: string = await remote.add(1, 2); // TS2322 typed by Api
  worker.on("message", () => {}); // TS2339 a Web Worker, not a Node one
  startPythonWorker({ code: "", unref: true }); // TS2353 unref is Node's
  startPythonWorker({ code: "", files: { "a.py": "" } }); // TS2353 files are URLs, not contents
}
