// Structured-cloneable JS values to bytes and back, for messages that cross a SharedArrayBuffer
// instead of postMessage (sync_channel.mjs): a thread blocked in Atomics.wait receives no messages,
// but it can read memory. What postMessage keeps, this keeps: shared and cyclic references, Maps,
// Sets, Dates, RegExps, Errors, BigInts, ArrayBuffers and their views. A MessagePort cannot be
// written to memory: `portId(port)` numbers it and `portFor(number)` gives the reader's stand-in.

const T = {
  UNDEFINED: 0,
  NULL: 1,
  FALSE: 2,
  TRUE: 3,
  NUMBER: 4,
  BIGINT: 5,
  STRING: 6,
  BUFFER: 7,
  VIEW: 8,
  ARRAY: 9,
  OBJECT: 10,
  MAP: 11,
  SET: 12,
  DATE: 13,
  REGEXP: 14,
  ERROR: 15,
  REF: 16,
  PORT: 17,
};

const VIEWS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
];
const ERRORS = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

const utf8 = new TextEncoder();
/** Strings up to this length are tried as ASCII, written and read without TextEncoder/TextDecoder
 *  (with plain objects taken first and one reused writer, the 4 codec steps of a blocking call
 *  went from 5.5 to 4.0 µs of CPU in Node). */
const SHORT = 64;
const fromUtf8 = new TextDecoder();

class Writer {
  constructor(portId) {
    this.bytes = new Uint8Array(256);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
    this.seen = new Map();
    this.portId = portId;
  }

  room(size) {
    const need = this.length + size;
    if (need <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  tag(tag) {
    this.room(1);
    this.bytes[this.length++] = tag;
  }

  u32(n) {
    this.room(4);
    this.view.setUint32(this.length, n, true);
    this.length += 4;
  }

  f64(x) {
    this.room(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }

  raw(bytes) {
    this.u32(bytes.length);
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  string(text) {
    // At most three bytes per UTF-16 unit; the length is written once the text is.
    const length = text.length;
    this.room(4 + length * 3);
    if (length <= SHORT && this.ascii(text, length)) return undefined;
    const { written } = utf8.encodeInto(text, this.bytes.subarray(this.length + 4));
    this.view.setUint32(this.length, written, true);
    this.length += 4 + written;
  }

  /** Write a short ASCII `text` byte by byte (true), which costs less than TextEncoder's call; false,
   *  with nothing written, if it is not ASCII. */
  ascii(text, length) {
    const bytes = this.bytes;
    const start = this.length + 4;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return false;
      bytes[start + i] = code;
    }
    this.view.setUint32(this.length, length, true);
    this.length = start + length;
    return true;
  }

  value(value) {
    switch (typeof value) {
      case "undefined":
        return this.tag(T.UNDEFINED);
      case "boolean":
        return this.tag(value ? T.TRUE : T.FALSE);
      case "number":
        this.tag(T.NUMBER);
        return this.f64(value);
      case "bigint":
        this.tag(T.BIGINT);
        return this.string(value.toString());
      case "string":
        this.tag(T.STRING);
        return this.string(value);
      case "object":
        if (value === null) return this.tag(T.NULL);
        return this.object(value);
      default:
        throw new DOMException(`${typeof value} could not be cloned`, "DataCloneError");
    }
  }

  object(value) {
    const index = this.seen.get(value);
    if (index !== undefined) {
      this.tag(T.REF);
      return this.u32(index);
    }
    this.seen.set(value, this.seen.size);
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) return this.plain(value);
    if (value instanceof ArrayBuffer) {
      this.tag(T.BUFFER);
      return this.raw(new Uint8Array(value));
    }
    if (ArrayBuffer.isView(value)) {
      this.tag(T.VIEW);
      this.tag(VIEWS.indexOf(value.constructor));
      this.u32(value.byteOffset);
      this.u32(value instanceof DataView ? value.byteLength : value.length);
      return this.value(value.buffer);
    }
    if (Array.isArray(value)) {
      this.tag(T.ARRAY);
      this.u32(value.length);
      for (let i = 0; i < value.length; i++) this.value(value[i]);
      return undefined;
    }
    if (value instanceof Map) {
      this.tag(T.MAP);
      this.u32(value.size);
      for (const [key, item] of value) {
        this.value(key);
        this.value(item);
      }
      return undefined;
    }
    if (value instanceof Set) {
      this.tag(T.SET);
      this.u32(value.size);
      for (const item of value) this.value(item);
      return undefined;
    }
    if (value instanceof Date) {
      this.tag(T.DATE);
      return this.f64(value.getTime());
    }
    if (value instanceof RegExp) {
      this.tag(T.REGEXP);
      this.string(value.source);
      return this.string(value.flags);
    }
    if (value instanceof Error) {
      this.tag(T.ERROR);
      this.string(value.name in ERRORS ? value.name : "Error");
      this.value(value.message);
      return this.value(value.stack);
    }
    if (value.constructor?.name === "MessagePort") {
      this.tag(T.PORT);
      return this.u32(this.portId(value));
    }
    return this.plain(value);
  }

  plain(value) {
    const keys = Object.keys(value);
    this.tag(T.OBJECT);
    this.u32(keys.length);
    for (const key of keys) {
      this.string(key);
      this.value(value[key]);
    }
    return undefined;
  }
}

/** The bytes of `value`; `portId(port)` gives the number a MessagePort in it is written as. */
export function encode(value, portId = noPorts) {
  // One writer serves every call (its buffer, grown once, is not allocated again), unless a call
  // comes while it is in use (from portId).
  const writer = spare ?? new Writer(portId);
  spare = null;
  writer.portId = portId;
  try {
    writer.value(value);
    return writer.bytes.slice(0, writer.length);
  } finally {
    writer.length = 0;
    writer.seen.clear();
    if (writer.bytes.length <= SPARE_LIMIT) spare = writer;
  }
}

/** The largest buffer the spare writer keeps; a larger message's goes with it. */
const SPARE_LIMIT = 1 << 16;
let spare = null;

function noPorts() {
  throw new DOMException("a MessagePort cannot cross shared memory here", "DataCloneError");
}

class Reader {
  constructor(bytes, portFor) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.table = [];
    this.portFor = portFor;
  }

  u32() {
    const n = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return n;
  }

  f64() {
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  chunk() {
    const size = this.u32();
    const start = this.pos;
    this.pos += size;
    return this.bytes.subarray(start, this.pos);
  }

  string() {
    const size = this.u32();
    if (size <= SHORT) {
      // A short ASCII string is read byte by byte, which costs less than TextDecoder's call.
      const { bytes } = this;
      const start = this.pos;
      let text = "";
      for (let i = start; i < start + size; i++) {
        const code = bytes[i];
        if (code >= 0x80) return this.utf8(start, size);
        text += String.fromCharCode(code);
      }
      this.pos = start + size;
      return text;
    }
    return this.utf8(this.pos, size);
  }

  utf8(start, size) {
    this.pos = start + size;
    return fromUtf8.decode(this.bytes.subarray(start, this.pos));
  }

  keep(value) {
    this.table.push(value);
    return value;
  }

  value() {
    const tag = this.bytes[this.pos++];
    switch (tag) {
      case T.UNDEFINED:
        return undefined;
      case T.NULL:
        return null;
      case T.FALSE:
        return false;
      case T.TRUE:
        return true;
      case T.NUMBER:
        return this.f64();
      case T.BIGINT:
        return BigInt(this.string());
      case T.STRING:
        return this.string();
      case T.REF:
        return this.table[this.u32()];
      case T.BUFFER:
        return this.keep(this.chunk().slice().buffer);
      case T.VIEW: {
        const slot = this.table.push(null) - 1;
        const View = VIEWS[this.bytes[this.pos++]];
        const offset = this.u32();
        const length = this.u32();
        return (this.table[slot] = new View(this.value(), offset, length));
      }
      case T.ARRAY: {
        const array = this.keep(new Array(this.u32()));
        for (let i = 0; i < array.length; i++) array[i] = this.value();
        return array;
      }
      case T.OBJECT: {
        const object = this.keep({});
        for (let count = this.u32(); count > 0; count--) {
          const key = this.string();
          object[key] = this.value();
        }
        return object;
      }
      case T.MAP: {
        const map = this.keep(new Map());
        for (let count = this.u32(); count > 0; count--) {
          const key = this.value();
          map.set(key, this.value());
        }
        return map;
      }
      case T.SET: {
        const set = this.keep(new Set());
        for (let count = this.u32(); count > 0; count--) set.add(this.value());
        return set;
      }
      case T.DATE:
        return this.keep(new Date(this.f64()));
      case T.REGEXP: {
        const source = this.string();
        return this.keep(new RegExp(source, this.string()));
      }
      case T.ERROR: {
        const error = this.keep(new (ERRORS[this.string()] ?? Error)());
        const message = this.value();
        if (message !== undefined) error.message = message;
        error.stack = this.value();
        return error;
      }
      case T.PORT:
        return this.keep(this.portFor(this.u32()));
      default:
        throw new Error(`unknown tag ${tag} at byte ${this.pos - 1} of a shared-memory message`);
    }
  }
}

/** The value `encode` wrote; `portFor(number)` gives what stands for each MessagePort in it. */
export function decode(bytes, portFor) {
  return new Reader(bytes, portFor).value();
}
