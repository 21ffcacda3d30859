// Pyodide with comlink_py in any browser scope (a page or a worker), loaded from the serving origin:
// Pyodide from node_modules/ and comlink_py's sources as listed by the server, never from a CDN.
import { installComlinkPy } from "./boot.mjs";

const ROOT = new URL("../", import.meta.url);

// The Pyodide builds package.json pins, by the name callers pass as `pyodide`.
const PYODIDE_DIRS = { "314": "node_modules/pyodide/", "0.28": "node_modules/pyodide-0.28/" };

/** The folder URL (with a trailing slash) of a pinned Pyodide build. */
export function pyodideIndexURL(version) {
  const dir = Object.hasOwn(PYODIDE_DIRS, version) ? PYODIDE_DIRS[version] : undefined;
  if (dir === undefined) {
    const known = Object.keys(PYODIDE_DIRS).map((v) => JSON.stringify(v)).join(" or ");
    throw new TypeError(`unknown Pyodide version ${JSON.stringify(version)}: use ${known}`);
  }
  return new URL(dir, ROOT).href;
}

/** The body of `url` as text; a failed request is an error that names the URL. */
export async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} failed: ${response.status} ${response.statusText}`);
  return response.text();
}

/** comlink_py's sources as [path, text] pairs for installComlinkPy. A browser cannot list a folder,
 *  so the server answers comlink_py/files.json with the file names (examples/workers/serve.py). */
export async function fetchComlinkPy(base = new URL("comlink_py/", ROOT)) {
  const listing = new URL("files.json", base);
  const names = JSON.parse(await fetchText(listing));
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string")) {
    throw new Error(`${listing} must be a non-empty JSON list of file names`);
  }
  const texts = await Promise.all(names.map((name) => fetchText(new URL(name, base))));
  return names.map((name, i) => [`comlink_py/${name}`, texts[i]]);
}

/** Pyodide `version` ("314" or "0.28") on this thread, with comlink_py importable. */
export async function loadPython({ pyodide: version = "314" } = {}) {
  const indexURL = pyodideIndexURL(version);
  const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
  const [pyodide, files] = await Promise.all([loadPyodide({ indexURL }), fetchComlinkPy()]);
  installComlinkPy(pyodide, files);
  return pyodide;
}
