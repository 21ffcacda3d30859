// Row 5 of the interop matrix, failures: a worker whose start-up fails answers the calls made
// before and after the failure with the error, and `ready` rejects with it; nothing hangs.
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { check, settled, sleep } from "./harness.mjs";

/** Start a worker, call it at once and again after start-up settled; report how all settled. */
async function attempt(options) {
  const py = startPythonWorker(options);
  const early = [py.remote.add(1, 2), py.remote.data].map(settled);
  const ready = await settled(py.ready);
  const late = await settled(py.remote.add(3, 4));
  const result = { ready, early: await Promise.all(early), late };
  await py.terminate();
  return result;
}

const SERVE = "import comlink_py\nclass Api:\n    data = 1\n    def add(self, a, b): return a + b\n";

await Promise.all([
  check("startup.raises", () =>
    attempt({ code: 'import comlink_py\nraise ValueError("start-up failed on purpose")\n' }),
  ),
  check("startup.raises_after_expose", () =>
    attempt({
      code: `${SERVE}import asyncio\ncomlink_py.expose(Api())\nawait asyncio.sleep(0.01)\nraise RuntimeError("late failure")\n`,
    }),
  ),
  check("startup.never_exposes", () => attempt({ code: `${SERVE}x = Api()\n` })),
  check("startup.syntax_error", () => attempt({ code: "def broken(:\n" })),
  check("startup.pyodide_missing", () => attempt({ code: SERVE, indexURL: "/nonexistent/pyodide/" })),
  check("startup.file_missing", () => attempt({ file: "/nonexistent/main.py" })),
]);

await check("startup.terminated_while_pending", async () => {
  const py = startPythonWorker({ code: `${SERVE}comlink_py.expose(Api())\n` });
  const pending = settled(py.remote.add(1, 1));
  await sleep(50);
  await py.terminate();
  return [await pending, await settled(py.remote.add(2, 2))];
});
await check("startup.bad_options", async () => settled((async () => startPythonWorker({}))()));
