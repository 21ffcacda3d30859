// Pyodide on a Node thread, from node_modules (never a CDN), and comlink_py's sources read from disk.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { addToPath, comlinkPyURL, installComlinkPy } from "./boot.mjs";

const require = createRequire(import.meta.url);

/** comlink_py's files from `packageDir` (default: where boot.mjs's rule puts them, the package's
 *  python/comlink_py/ or this repository's comlink_py/), as the [path, text] pairs installComlinkPy
 *  takes. */
export function comlinkPyFiles(packageDir) {
  const dir = packageDir ?? fileURLToPath(comlinkPyURL);
  let names;
  try {
    names = readdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(
      `comlink_py's sources are not in ${dir} (${error.code}): a packed shim carries them, ` +
        "copied by its prepack script, so pack it with scripts enabled or pass packageDir",
    );
  }
  return names
    .map((name) => name.split(sep).join("/"))
    .filter((name) => !name.includes("__pycache__"))
    .filter((name) => name.endsWith(".py") || name.endsWith(".mjs") || basename(name) === "py.typed")
    .sort()
    .map((name) => [`comlink_py/${name}`, readFileSync(join(dir, name), "utf8")]);
}

/** Pyodide's folder, with a trailing slash: `indexURL`, or the pyodide package in node_modules. */
export const pyodideDir = (indexURL) => indexURL ?? `${dirname(require.resolve("pyodide/package.json"))}/`;

/** The environment Python gets: this process's (so COMLINK_PY_DEBUG and the rest reach it), with
 *  COMLINK_PY_DEBUG=1 when `debug` is true and without it when false. HOME is left to Pyodide, which
 *  makes that folder its working directory. */
export function pythonEnv(debug) {
  const { HOME, ...env } = process.env;
  if (debug === true) env.COMLINK_PY_DEBUG = "1";
  if (debug === false) delete env.COMLINK_PY_DEBUG;
  return env;
}

/** Load Pyodide from `indexURL` (default: the pyodide package in node_modules). Its packages come
 *  from that folder only: `packageBaseUrl` keeps Pyodide from trying a CDN for a missing one. */
export async function loadPyodideHere(indexURL, debug) {
  const { loadPyodide } = await import("pyodide");
  const dir = pyodideDir(indexURL);
  // A worker thread has no stdout file descriptor for Pyodide to write to: go through console.
  return loadPyodide({
    indexURL: dir,
    packageBaseUrl: dir,
    env: pythonEnv(debug),
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
}

/** Pyodide on this thread with comlink_py importable. */
export async function loadPython({ indexURL, packageDir, debug } = {}) {
  const pyodide = await loadPyodideHere(indexURL, debug);
  installComlinkPy(pyodide, comlinkPyFiles(packageDir));
  return pyodide;
}

/** Make a folder on disk importable in Pyodide, mounted at the same path (so tracebacks show its
 *  source lines). Where that path is taken in Pyodide's FS, only `file` is copied. */
export function mountFolder(pyodide, folder, file) {
  pyodide.FS.mkdirTree(folder);
  try {
    pyodide.mountNodeFS(folder, folder);
  } catch {
    if (file != null) pyodide.FS.writeFile(file, readFileSync(file));
  }
  addToPath(pyodide, folder);
}

/** How loadExtras (boot.mjs) reaches files in Node: paths, relative to the current folder. */
export function nodeFiles(indexURL) {
  const dir = pyodideDir(indexURL);
  return {
    isFolder(source) {
      try {
        return statSync(source).isDirectory();
      } catch (error) {
        throw new Error(`files: cannot read ${resolve(source)} (${error.code})`);
      }
    },
    folder: (pyodide, source) => mountFolder(pyodide, resolve(source)),
    read: async (source) => new Uint8Array(await readFile(source)),
    resolve: (spec) => resolve(spec),
    exists: (fileName) => existsSync(join(dir, fileName)),
  };
}
