// The floor of the stream rows: Pyodide on a worker thread, whose Python generator's items a bare
// JS loop posts one message each. No comlink_py and no Comlink: only the conversion and the post.
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { loadPython } from "../../js_shim/node.mjs";

const pyodide = await loadPython();
const globals = pyodide.globals.get("dict")();
pyodide.runPython(readFileSync(new URL("../stream_source.py", import.meta.url), "utf8"), { globals });
const rows = globals.get("rows");
const convert = { dict_converter: Object.fromEntries };

parentPort.on("message", (n) => {
  const generator = rows(n);
  for (const item of generator) {
    parentPort.postMessage(item.toJs(convert));
    item.destroy();
  }
  generator.destroy();
  parentPort.postMessage(null);
});
parentPort.postMessage("ready");
