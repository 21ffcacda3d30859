// For tests/test_js_facts.py: `node facts.mjs COMMAND` reads a JSON argument from stdin and prints
// a JSON answer. init: call listener.mjs's init with the facts (functions print as "function",
// an error as "Name: message"); request-types: boot.mjs's REQUEST_TYPES; abort: abort.mjs's handler
// name and signal number; evaluate: evaluate a
// script as Pyodide's run_js does (an indirect eval) and describe its value.
import { ABORT_SIGNAL, ABORT_SIGNUM } from "../../js_shim/abort.mjs";
import { REQUEST_TYPES } from "../../js_shim/boot.mjs";
import { init } from "../../comlink_py/pyodide/listener.mjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;

const commands = {
  init: (facts) => {
    try {
      return init(facts).map((item) => (typeof item === "function" ? "function" : item));
    } catch (error) {
      return `${error.name}: ${error.message}`;
    }
  },
  "request-types": () => [...REQUEST_TYPES],
  abort: () => [ABORT_SIGNAL, ABORT_SIGNUM],
  evaluate: (script) => {
    const value = (0, eval)(script);
    return [typeof value, value.name];
  },
};

console.log(JSON.stringify(commands[process.argv[2]](input)));
