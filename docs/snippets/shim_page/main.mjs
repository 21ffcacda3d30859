// A page of a project that has comlink-py-shim, comlink and pyodide in its node_modules/, served as
// static files from the project's folder: everything loads from this origin, never from a CDN.
import { startPythonWorker } from "./node_modules/comlink-py-shim/browser.mjs";

const { remote, ready } = startPythonWorker({ file: "./greeter.py" }); // Pyodide 314, module worker
window.greeter = remote; // try `await greeter.greet("you")` in the browser console
await ready;
document.getElementById("greeting").textContent = await remote.shout("page");
