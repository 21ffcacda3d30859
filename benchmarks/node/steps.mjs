// python -m benchmarks.steps, in Node: the profile of steps.mjs in this thread, printed as one line
// "STEPS {json}". Usage: node --expose-gc steps.mjs [calls]
import { readFileSync } from "node:fs";
import * as Comlink from "comlink";
import { loadPython } from "../../js_shim/node_python.mjs";
import { profile } from "../steps.mjs";

const calls = Number(process.argv[2] ?? 20000);
const pyodide = await loadPython();
const stagesSource = readFileSync(new URL("../stages.py", import.meta.url), "utf8");
const result = await profile({ pyodide, Comlink, stagesSource, calls });
console.log(`STEPS ${JSON.stringify({ ...result, setting: "node" })}`);
