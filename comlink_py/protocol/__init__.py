"""The protocol core: Comlink's wire format, the value codec and its transfer handlers, and the
exposing and wrapping sides' cores. No I/O, no event loop, no JavaScript; imports nothing above it."""
