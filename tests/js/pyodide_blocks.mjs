// Runs Python code blocks in one real Pyodide (the pinned 314 build) for tests/test_docs.py.
// The repo is mounted at /repo so `import comlink_py` uses the working tree. One request per stdin
// line: {"scope": name, "code": text}; blocks of one scope share their globals, like one notebook.
// One answer per request on stdout: {"ok": true} or {"ok": false, "error": text}.
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const pyodide = await loadPyodide();
pyodide.FS.mkdirTree("/repo");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repo }, "/repo");
pyodide.runPython("import sys; sys.path.insert(0, '/repo')");

const scopes = new Map();
const answer = (reply) => process.stdout.write(`${JSON.stringify(reply)}\n`);
answer({ ok: true, ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  const { scope, code } = JSON.parse(line);
  if (!scopes.has(scope)) {
    // Named as a script's globals are: a class defined without a __name__ would say it is from
    // "builtins", which the exposure policy treats as the standard library's.
    scopes.set(scope, pyodide.globals.get("dict")());
    scopes.get(scope).set("__name__", "__main__");
  }
  try {
    await pyodide.runPythonAsync(code, { globals: scopes.get(scope), filename: scope });
    answer({ ok: true });
  } catch (error) {
    answer({ ok: false, error: String(error?.message ?? error) });
  }
}
// Ports the blocks left open would keep Node alive.
process.exit(0);
