// What the rows whose exposing side is JS serve (the twin of measure.py's Target).
import { collectGarbage } from "./measure.mjs";

export const target = {
  noop() {},
  size: (buffer) => buffer.byteLength,
  collect: collectGarbage,
};
