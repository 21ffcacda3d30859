"""The Pyodide adapter: JS objects that post messages seen as ``Endpoint`` objects."""
