// The JS half of comlink_py's Pyodide endpoint (comlink_py/pyodide/endpoint.py): a message listener
// that hands Python each message in the cheapest form its data allows, and helpers that post the
// commonest messages from the arguments of one call. Python evaluates this module once per
// interpreter (comlink_py/pyodide/jsmodule.py) and calls init with what both sides must agree on
// (comlink_py/pyodide/fastpath.py): the message kinds by name, the size of the key-set table and
// Comlink's key orders.
//
// init(facts) -> [addKeySet, addRoute, bind, useIdBuffer, keptName]: bind(port) -> [listen, postFlat,
// postCall, answer], what a JsEndpoint calls, bound to its port (passing the port to each call costs
// about as much as a value); useIdBuffer(proxy) gives JS the buffer where listeners write the ids of
// requests; keptName is the class name by which Python knows a kept buffer.
//
// listen(deliver, domStyle) -> [the JS message listener, setPlan(route, plan), clearPlans(),
// setAnswerer(answerer)]. A plain answer of an atom ({type: "RAW", value, id} in that key order) goes
// to answerer(id, value), once one is set, which says whether a call of Python's claimed it; any
// other message, or an answer no call claimed, goes to deliver. deliver gets the origin, a kind and the
// data in one call, the cheapest way the data allows (JsEndpoint._deliver reads the kinds): a
// primitive, a plain object of primitives (most answers) and a Comlink request of primitives (most
// calls) go as arguments, which Pyodide converts on the way, with the key set or route as a number
// once it has been sent; other plain objects and arrays need a plain to_py, and anything else to_py
// with the decoder, which costs more even when it is never called. For those two it swaps every
// ArrayBuffer in the data for a ComlinkPyKeptBuffer while Python converts it: to_py would copy a
// buffer into Python's memory, a marker goes to the decoder. The data is restored before the
// listener returns, so other JS listeners never see a marker.
//
// postFlat(keySet, value...) posts {key: value, ...} with the keys of a key set that addKeySet(key...)
// registered: an answer of an atom ({type, value, id}) in one FFI call that Pyodide converts on the
// way, without converting the keys again each time. postCall(id, route, argumentCount, ...values)
// posts a request {id, type, path, argumentList} whose arguments are RAW wire values of atoms, the
// form of most calls, with the type and path of a route that addRoute(type, pathLength, ...path)
// registered; a length or count of -1 leaves that key out. to_js takes about four times as long.
// answer(value) posts {type: "RAW", value, id} with the id of the request being delivered, held in
// JS: a request answered while it is delivered (any call with a result at hand) never converts its
// id back from Python. A call that reached Python as a request's parts and was answered while
// delivered does not even call it: deliver returns the value, with the byte `replied` of the id
// buffer set, and the listener posts it.

/** What stands in for an ArrayBuffer while Python converts a message. A message cannot carry an
 *  instance of it (structured cloning keeps no classes), so its name is unambiguous. */
class ComlinkPyKeptBuffer {
  constructor(buffer) {
    this.buffer = buffer;
  }
}

/** The names of the message kinds listen() delivers; Python's Kind enum gives their numbers. */
const KIND_NAMES = [
  "PRIMITIVE",
  "PLAIN",
  "DECODE",
  "FLAT",
  "FLAT_NEW",
  "FLAT_UNNUMBERED",
  "CALL",
  "CALL_NEW",
  "CALL_UNNUMBERED",
];

/**
 * facts: { kinds: {name: number} for every name of KIND_NAMES, numberLimit: how many key sets and
 * routes a listener numbers, maxCallParts and maxFlatKeys: the most path segments or arguments
 * and the most keys of a flat object that cross as call arguments, callKeys: a request's key order,
 * rawKeys: a RAW wire value's key order, answerKeys: an answer's, raw: the RAW wire value type }.
 */
function init({ kinds, numberLimit, maxCallParts, maxFlatKeys, callKeys, rawKeys, answerKeys, raw, replied }) {
  const names = Object.keys(kinds).sort();
  const numbered = names.every((name) => Number.isInteger(kinds[name]));
  if (!numbered || names.join() !== [...KIND_NAMES].sort().join()) {
    throw new TypeError(`the message kinds must be numbers named ${KIND_NAMES.join(", ")}; got ${names}`);
  }
  const { PRIMITIVE, PLAIN, DECODE, FLAT, FLAT_NEW, FLAT_UNNUMBERED } = kinds;
  const { CALL, CALL_NEW, CALL_UNNUMBERED } = kinds;
  const put = (container, key, value) =>
    container instanceof Map ? container.set(key, value) : (container[key] = value);
  // walk.plain ends false when anything but plain objects, arrays and primitives was met.
  const visit = (container, key, value, walk) => {
    if (typeof value !== "object" || value === null) return;
    if (value instanceof ArrayBuffer) {
      walk.plain = false;
      walk.undo.push(container, key, value);
      put(container, key, new ComlinkPyKeptBuffer(value));
    } else mark(value, walk);
  };
  const mark = (value, walk) => {
    if (walk.seen.has(value)) return;
    walk.seen.add(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value, i, value[i], walk);
    } else if (value instanceof Map) {
      walk.plain = false;
      for (const [key, item] of value) visit(value, key, item, walk);
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        walk.plain = false;
        return;
      }
      for (const key of Object.keys(value)) visit(value, key, value[key], walk);
    }
  };
  // The values of a plain object's keys if they are all primitives (most answers), else null.
  const flatValues = (data, keys) => {
    const values = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const value = data[keys[i]];
      if (typeof value === "object" && value !== null) return null;
      values[i] = value;
    }
    return values;
  };
  // A Comlink request whose arguments are RAW wire values of primitives or ArrayBuffers (most
  // calls), as [id parts, route, rest]: the route is the type, the path length (-1 without a
  // path) and the segments; the rest is the argument count (-1 without argumentList), the values
  // and the indexes of the ArrayBuffer arguments (which reach Python as JsProxies, uncopied).
  // null for anything else, key order included.
  // An id as [length] once its characters are written to the shared id buffer (a bytearray of
  // Python's, see useIdBuffer), else as [-1, id]: Pyodide converts a string to Python through a
  // Uint32Array of its own, which for JS Comlink's ids of about 50 characters costs more than
  // the rest of the call's arguments (and milliseconds while V8 collects after a large
  // ArrayBuffer arrived), where Python decodes the buffer's bytes in a fraction of that.
  let idProxy = null;
  let held; // the id of the innermost call being delivered, on any port: its characters are in the buffer
  let idBuffer = null;
  let idBytes = new Uint8Array(0);
  const useIdBuffer = (proxy) => {
    idProxy = proxy;
  };
  const idView = () => {
    if (idBytes.length === 0) {
      // Not yet, or the WebAssembly memory grew, which detaches every view of it.
      idBuffer?.release();
      idBuffer = idProxy.getBuffer("u8");
      idBytes = idBuffer.data;
    }
    return idBytes;
  };
  // Whether the request just delivered was answered while delivered (Python set the byte after the
  // ids), its answer's value being what deliver returned; the byte is cleared.
  const wasAnswered = () => {
    const bytes = idView();
    if (bytes[replied] === 0) return false;
    bytes[replied] = 0;
    return true;
  };
  const idParts = (id) => {
    idView();
    const length = id.length;
    if (length > replied) return [-1, id];
    for (let i = 0; i < length; i++) {
      const code = id.charCodeAt(i);
      if (code > 255) return [-1, id]; // not Latin-1: its bytes would not decode to it
      idBytes[i] = code;
    }
    return [length];
  };
  // Whether a plain object is an answer of an atom, {type: raw, value, id} in Comlink's key order.
  const isAnswer = (data, keys) => {
    if (keys.length !== 3 || keys[0] !== answerKeys[0] || keys[1] !== answerKeys[1] || keys[2] !== answerKeys[2]) {
      return false;
    }
    const value = data.value;
    return data.type === raw && typeof data.id === "string" && (typeof value !== "object" || value === null);
  };
  const isPlain = (value) =>
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
  const callParts = (data, keys) => {
    if (keys.length < 2 || keys.length > 4 || keys.some((key, i) => key !== callKeys[i])) return null;
    const { id, type, path, argumentList } = data;
    if (typeof id !== "string" || typeof type !== "string") return null;
    const route = [type, -1];
    if (keys.length > 2) {
      if (!Array.isArray(path) || path.length > maxCallParts) return null;
      route[1] = path.length;
      for (let i = 0; i < path.length; i++) {
        if (typeof path[i] !== "string") return null;
        route.push(path[i]);
      }
    }
    const rest = [-1];
    if (keys.length > 3) {
      if (!Array.isArray(argumentList) || argumentList.length > maxCallParts) return null;
      const buffers = [];
      for (let i = 0; i < argumentList.length; i++) {
        const wire = argumentList[i];
        if (!isPlain(wire)) return null;
        const wireKeys = Object.keys(wire);
        if (wireKeys.length !== 2 || wireKeys[0] !== rawKeys[0] || wireKeys[1] !== rawKeys[1]) return null;
        if (wire.type !== raw) return null;
        const value = wire.value;
        if (value instanceof ArrayBuffer) buffers.push(i);
        else if (typeof value === "object" && value !== null) return null;
        rest.push(value);
      }
      rest[0] = argumentList.length;
      rest.push(...buffers);
    }
    return [idParts(id), route, rest];
  };
  const postedKeySets = [];
  const addKeySet = (...keys) => postedKeySets.push(keys) - 1;
  const callRoutes = [];
  const addRoute = (type, pathLength, ...path) => callRoutes.push([type, pathLength < 0 ? null : path]) - 1;
  const bind = (port) => {
    let current; // the id of the request being delivered, if any
    const listen = (deliver, domStyle) => {
      // The key sets of flat objects and the routes (type and path) of requests this listener has
      // sent, as tries of Maps whose nodes hold their number: after its first time a key set or
      // route crosses as that number (JsEndpoint._numbered numbers them alike), as converting each
      // string to Python costs about as much as a value.
      const keySets = new Map();
      const routes = new Map();
      let count = 0;
      // The number of keys (a key set or route) in a table: >= 0 if Python knows it, NEW if it is
      // numbered now (Python numbers it next, from the strings), NONE once the table is full.
      const NEW = -1;
      const NONE = -2;
      const numberOf = (table, keys) => {
        let node = table;
        for (let i = 0; i < keys.length; i++) {
          let next = node.get(keys[i]);
          if (next === undefined) {
            if (count >= numberLimit) return NONE;
            next = new Map();
            node.set(keys[i], next);
          }
          node = next;
        }
        if (node.number !== undefined) return node.number;
        if (count >= numberLimit) return NONE;
        node.number = count++;
        return NEW;
      };
      // Route plans (see JsEndpoint._plan): the Python function that serves a numbered route's
      // requests in its place, given (with setPlan) once Python has planned the route, called
      // with the route's number, the id's token and the arguments; it returns the answer's atom,
      // or an object (a proxy of Python's UNANSWERED) once it has answered by message.
      const plans = [];
      let answerer = null;
      const listener = (arg) => {
        const data = domStyle ? arg.data : arg;
        const origin = domStyle && arg.origin ? arg.origin : undefined; // Node's ports say ""
        if (typeof data !== "object" || data === null) return deliver(origin, PRIMITIVE, data);
        const proto = Object.getPrototypeOf(data);
        if (proto === Object.prototype || proto === null) {
          const keys = Object.keys(data);
          if (answerer !== null && isAnswer(data, keys) && answerer(data.id, data.value)) return;
          const call = keys[0] === "id" && proto !== null ? callParts(data, keys) : null;
          if (call !== null) {
            const [id, route, rest] = call;
            const number = numberOf(routes, route);
            const outer = current;
            const outerHeld = held;
            current = held = data.id;
            try {
              const plan = number >= 0 ? plans[number] : undefined;
              if (plan !== undefined && rest.length === Math.max(rest[0], 0) + 1) {
                // No ArrayBuffer among the arguments: the request's id token in the count's place.
                rest[0] = id.length === 1 ? id[0] : id[1];
                const value = plan(number, ...rest);
                if (typeof value !== "object" || value === null) answer(value);
                else value.destroy(); // Python's UNANSWERED: it answered by message
                return;
              }
              let value;
              if (number >= 0) value = deliver(origin, CALL, ...id, number, ...rest);
              else value = deliver(origin, number === NEW ? CALL_NEW : CALL_UNNUMBERED, ...id, ...route, ...rest);
              if (wasAnswered()) answer(value);
              return;
            } finally {
              // Cleared whatever happened: an interrupt raised in Python between its setting the
              // byte and returning would otherwise make the next call look answered.
              idView()[replied] = 0;
              current = outer;
              held = outerHeld;
              // A call delivered inside another (on any port): the outer one's id back in the
              // buffer, where Python reads it if that call answers late.
              if (outerHeld !== undefined) idParts(outerHeld);
            }
          }
          // Few keys only: they cross as call arguments, and a call takes only so many.
          const values = keys.length <= maxFlatKeys ? flatValues(data, keys) : null;
          if (values !== null) {
            const number = numberOf(keySets, keys);
            if (number >= 0) return deliver(origin, FLAT, number, ...values);
            return deliver(origin, number === NEW ? FLAT_NEW : FLAT_UNNUMBERED, ...keys, ...values);
          }
        }
        const walk = { seen: new Set(), undo: [], plain: true };
        try {
          mark(data, walk);
        } catch {
          // Too deep to walk (a RangeError): what was swapped stays swapped; to_py says what is wrong.
          walk.plain = false;
        }
        const undo = walk.undo;
        try {
          deliver(origin, walk.plain ? PLAIN : DECODE, data);
        } finally {
          for (let i = 0; i < undo.length; i += 3) put(undo[i], undo[i + 1], undo[i + 2]);
        }
      };
      const setPlan = (number, plan) => {
        plans[number] = plan;
      };
      const clearPlans = () => {
        plans.length = 0;
      };
      const setAnswerer = (python) => {
        answerer = python ?? null; // Python's None arrives as undefined
      };
      return [listener, setPlan, clearPlans, setAnswerer];
    };
    // The messages are built by assignments: an answer built as an object literal took
    // milliseconds to post in Node while V8 was under the pressure of a large ArrayBuffer that had
    // just arrived (measured with 64 MiB transfers), built this way never.
    const postFlat = (keySet, ...values) => {
      const keys = postedKeySets[keySet];
      const message = {};
      for (let i = 0; i < keys.length; i++) message[keys[i]] = values[i];
      port.postMessage(message);
    };
    const postCall = (id, route, argumentCount, ...values) => {
      const [type, path] = callRoutes[route];
      const message = {};
      message.id = id;
      message.type = type;
      if (path !== null) message.path = path.slice();
      if (argumentCount >= 0) {
        const argumentList = new Array(argumentCount);
        for (let i = 0; i < argumentCount; i++) {
          const wire = {};
          wire.type = raw;
          wire.value = values[i];
          argumentList[i] = wire;
        }
        message.argumentList = argumentList;
      }
      port.postMessage(message);
    };
    const answer = (value) => {
      const message = {};
      message.type = raw;
      message.value = value;
      message.id = current;
      port.postMessage(message);
    };
    return [listen, postFlat, postCall, answer];
  };
  return [addKeySet, addRoute, bind, useIdBuffer, ComlinkPyKeptBuffer.name];
}

export { init };
