// A transfer handler registered under one name in JS (Comlink.transferHandlers) and in Python
// (comlink_py.transfer_handlers) carries values both ways: only the name and the serialised form
// cross, so each side rebuilds its own class.
import * as Comlink from "comlink";
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { check } from "./harness.mjs";

class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }
}
Comlink.transferHandlers.set("point", {
  canHandle: (value) => value instanceof Point,
  serialize: (point) => [[point.x, point.y], []],
  deserialize: ([x, y]) => new Point(x, y),
});

const CODE = `
import comlink_py
from comlink_py.js import host

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

class PointHandler:
    def can_handle(self, value):
        return isinstance(value, Point)

    def serialize(self, point, endpoint):
        return [point.x, point.y], []

    def deserialize(self, value, endpoint):
        return Point(*value)

comlink_py.transfer_handlers["point"] = PointHandler()

class Api:
    def flip(self, point):
        return Point(point.y, point.x) if isinstance(point, Point) else "not a Point"

    async def scale_in_js(self, x, y, factor):
        scaled = await host().scale(Point(x, y), factor)
        return [type(scaled).__name__, scaled.x, scaled.y]

comlink_py.expose(Api())
`;

const hostApi = {
  scale: (point, factor) => (point instanceof Point ? new Point(point.x * factor, point.y * factor) : null),
};

await check("handlers.custom_both_ways", async () => {
  const py = startPythonWorker({ code: CODE, host: hostApi });
  const flipped = await py.remote.flip(new Point(1, 2));
  const result = {
    js_got: [flipped.constructor.name, flipped.x, flipped.y],
    python_got: await py.remote.scale_in_js(3, 4, 10),
  };
  await py.terminate();
  return result;
});
