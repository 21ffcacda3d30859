// Pyodide on a Node thread, from node_modules (never a CDN), and comlink_py's sources read from disk.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { comlinkPyURL, installComlinkPy } from "./boot.mjs";

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

/** Load Pyodide from `indexURL` (default: the pyodide package in node_modules). */
export async function loadPyodideHere(indexURL) {
  const { loadPyodide } = await import("pyodide");
  // A worker thread has no stdout file descriptor for Pyodide to write to: go through console.
  return loadPyodide({
    indexURL: indexURL ?? `${dirname(require.resolve("pyodide/package.json"))}/`,
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
}

/** Pyodide on this thread with comlink_py importable. */
export async function loadPython({ indexURL, packageDir } = {}) {
  const pyodide = await loadPyodideHere(indexURL);
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
  pyodide.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(folder)})`);
}
