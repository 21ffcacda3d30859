// python -m benchmarks.steps, in Chromium: the profile of ../steps.mjs in this page's thread, with
// Pyodide loaded here (not in a worker: the steps are timed in one thread either way).
import { Comlink } from "../../js_shim/browser.mjs";
import { fetchText, loadPython } from "../../js_shim/browser_python.mjs";
import { profile } from "../steps.mjs";

try {
  const calls = Number(new URLSearchParams(location.search).get("calls") ?? 20000);
  const pyodide = await loadPython();
  const stagesSource = await fetchText(new URL("../stages.py", import.meta.url));
  globalThis.stepsResult = { ...(await profile({ pyodide, Comlink, stagesSource, calls })), setting: "chromium" };
} catch (error) {
  globalThis.stepsResult = { error: String(error?.stack ?? error) };
}
