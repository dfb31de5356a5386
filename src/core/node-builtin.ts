// Node's built-in modules where they exist, without importing "node:*": the
// core runs in browsers and workers too, where this gives undefined.

/** A Node built-in module (Node 20.16+ process.getBuiltinModule), or undefined outside Node. */
export function nodeBuiltin<T>(id: `node:${string}`): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}
