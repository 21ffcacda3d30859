// Stopping calls at every moment of their life in a Pyodide Web Worker (tests/js/each_moment.mjs),
// for test_stopping.py, which evaluates eachMomentInWorker on the isolated stopping page.
import { startPythonWorker } from "../../../js_shim/browser.mjs";
import { eachMoment } from "../../js/each_moment.mjs";

export async function eachMomentInWorker(version) {
  const py = startPythonWorker({ pyodide: version, file: new URL("../../interop/py/stopping.py", import.meta.url) });
  try {
    await py.ready;
    return await eachMoment(py);
  } finally {
    py.terminate();
  }
}
