// The methods rows 3u and b3u serve as Python functions: the benchmark target (target.mjs) with
// noop and size defined in Python, so that JS Comlink's every call of them enters Python once.
import { target } from "./target.mjs";

/** The target, its noop and size Python functions (PyProxies) of `pyodide`. */
export function pythonFunctionsTarget(pyodide) {
  const [noop, size] = pyodide
    .runPython(
      `
def noop():
    pass

def size(buffer):
    return buffer.byteLength

noop, size
`,
    )
    .toJs();
  return { ...target, noop, size };
}
