// Pyodide with comlink_py in any browser scope (a page or a worker), loaded from the serving origin,
// never from a CDN: Comlink and Pyodide from the node_modules/ folder and comlink_py's sources from
// the folder that boot.mjs's rule finds from this file's URL.
import { addToPath, comlinkPyURL, installComlinkPy, packagesURL } from "./boot.mjs";

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

/** The body of `url` as bytes; a failed request is an error that names the URL. */
export async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} failed: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The names of a folder's files. A browser cannot list a folder, so the folder's files.json
 *  names them (relative paths): written by prepack.mjs for comlink_py's copy in the package, made on
 *  each request by examples/workers/serve.py for this repository's comlink_py/, and written by you
 *  for a folder passed as the `files` option. */
export async function folderListing(base) {
  const listing = new URL("files.json", base);
  const names = JSON.parse(await fetchText(listing));
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string")) {
    throw new Error(`${listing} must be a non-empty JSON list of file names`);
  }
  return names;
}

/** comlink_py's sources as [path, text] pairs for installComlinkPy. */
export async function fetchComlinkPy(base = comlinkPyURL) {
  const names = await folderListing(base);
  const texts = await Promise.all(names.map((name) => fetchText(new URL(name, base))));
  return names.map((name, i) => [`comlink_py/${name}`, texts[i]]);
}

/** How loadExtras (boot.mjs) reaches files in a browser: absolute URLs; a folder's URL ends in "/"
 *  and its files.json names its files, which go into Pyodide's file system under the URL's path. */
export function browserFiles(indexURL) {
  return {
    isFolder: (source) => new URL(source).pathname.endsWith("/"),
    async folder(pyodide, source) {
      const names = await folderListing(source);
      const bodies = await Promise.all(names.map((name) => fetchBytes(new URL(name, source))));
      const dir = `/home/pyodide${new URL(source).pathname}`.replace(/\/$/, "");
      names.forEach((name, i) => {
        const path = `${dir}/${name}`;
        pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
        pyodide.FS.writeFile(path, bodies[i]);
      });
      addToPath(pyodide, dir);
    },
    read: (source) => fetchBytes(source),
    resolve: (spec) => spec,
    exists: async (fileName) => (await fetch(new URL(fileName, indexURL), { method: "HEAD" })).ok,
  };
}

/** Pyodide `version` ("314" or "0.28") on this thread, with comlink_py importable. */
export async function loadPython({ pyodide: version = "314" } = {}) {
  const indexURL = pyodideIndexURL(version);
  const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
  const [pyodide, files] = await Promise.all([loadPyodide({ indexURL }), fetchComlinkPy()]);
  installComlinkPy(pyodide, files);
  return pyodide;
}
