// Pyodide with comlink_py in any browser scope (a page or a worker), loaded from the serving origin,
// never from a CDN: Comlink and Pyodide from the node_modules/ folder and comlink_py's sources from
// the folder that boot.mjs's rule finds from this file's URL.
import { comlinkPyURL, installComlinkPy, packagesURL } from "./boot.mjs";

// The Pyodide builds callers name as `pyodide`, by package folder ("pyodide-0.28" is an npm alias).
const PYODIDE_DIRS = { "314": "pyodide/", "0.28": "pyodide-0.28/" };

/** Comlink's ES module (pages, module workers) and its UMD script (classic workers). */
export const COMLINK_MODULE = new URL("comlink/dist/esm/comlink.mjs", packagesURL).href;
export const COMLINK_SCRIPT = new URL("comlink/dist/umd/comlink.js", packagesURL).href;

/** The folder URL (with a trailing slash) of a Pyodide build. */
export function pyodideIndexURL(version) {
  const dir = Object.hasOwn(PYODIDE_DIRS, version) ? PYODIDE_DIRS[version] : undefined;
  if (dir === undefined) {
    const known = Object.keys(PYODIDE_DIRS).map((v) => JSON.stringify(v)).join(" or ");
    throw new TypeError(`unknown Pyodide version ${JSON.stringify(version)}: use ${known}`);
  }
  return new URL(dir, packagesURL).href;
}

/** The body of `url` as text; a failed request is an error that names the URL. */
export async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} failed: ${response.status} ${response.statusText}`);
  return response.text();
}

/** comlink_py's sources as [path, text] pairs for installComlinkPy. A browser cannot list a folder,
 *  so the folder's files.json names them: written by prepack.mjs into the package, and made on each
 *  request by examples/workers/serve.py for this repository's comlink_py/. */
export async function fetchComlinkPy(base = comlinkPyURL) {
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
