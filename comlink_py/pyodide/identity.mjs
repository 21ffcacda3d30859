// A number that stays the same for one JS object as long as it lives. Python sees each JS object
// through a new, unhashable proxy every time it crosses, so this is how comlink_py.expose knows that
// two JsEndpoints stand for the same port (and refuses to serve it twice).

const numbers = new WeakMap();
let last = 0;

/** identity(object) -> its number, given on first sight. */
const identity = (object) => {
  let number = numbers.get(object);
  if (number === undefined) {
    last += 1;
    number = last;
    numbers.set(object, number);
  }
  return number;
};

export { identity };
