// Type-checked by tests/test_typescript.py: the Node entry's declarations (js_shim/node.d.mts)
// misused on the marked lines.
import { loadPython, startPythonPool, startPythonWorker } from "comlink-py-shim";
import type { Api } from "./api.js";

export async function misuse(): Promise<void> {
  await using python = startPythonWorker<Api>({
    file: "api.py",
    files: ["lib", "helpers.zip"],
    packages: "tinypkg-1.0-py3-none-any.whl",
    onProgress: ({ kind, name, done, total }) => console.log(kind, name, done / total),
    debug: true,
    unref: true,
  });
  python.worker.on("exit", (code: number) => console.log(code));
  await python.terminate();
  startPythonWorker({ code: "", pyodide: "314" }); // TS2353 Node takes no Pyodide build name
  startPythonWorker({ code: "", indexURL: 1 }); // TS2322 a folder is a string
  startPythonWorker({ file: new URL("file:///api.py") }); // TS2322 a path, not a URL
  await python.remote.add(1); // TS2554 typed by Api
  await loadPython({ packageDir: false }); // TS2322 a folder is a string
  startPythonWorker({ code: "", packages: [1] }); // TS2322 packages are strings
  startPythonWorker({ code: "", onProgress: (p: string) => p }); // TS2322 progress is an object
  startPythonWorker({ code: "", unref: "yes" }); // TS2322 unref is a boolean
  const restarted: Promise<void> = python.restart();
  await restarted;
  startPythonWorker({ code: "", autoRestart: true });
  await using pool = startPythonPool<Api>({ size: 2, file: "api.py", unref: true });
  const pooled: number = await pool.remote.add(1, 2);
  pool.workers[0].interrupt();
  await pool.workers[1].restart();
  console.log(pooled, pool.size);
  startPythonPool({ code: "" }); // TS2345 a pool needs its size
  startPythonPool({ size: "2", code: "" }); // TS2322 the size is a number
  const notText: string = await pool.remote.add(1, 2); // TS2322 typed by Api
  startPythonWorker({ code: "", autoRestart: 1 }); // TS2322 autoRestart is a boolean
}
