// Type-checked by tests/test_typescript.py: the Node entry's declarations (js_shim/node.d.mts)
// misused on the marked lines.
import { loadPython, startPythonWorker } from "comlink-py-shim";
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
}
