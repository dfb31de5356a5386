// The page calls the engine in a Web Worker through comlink, where a callback
// (or an object of callbacks, like SessionHandlers) must be wrapped with
// Comlink.proxy before it is sent. withCallbackProxy does that for every
// call, so the CLI can stay free of comlink:
//
//   runDocker(argv, io, withCallbackProxy(remoteEngine, Comlink.proxy))

import type { EngineApi } from "../core/engine-api.ts";

export function withCallbackProxy(engine: EngineApi, proxy: <T extends object>(value: T) => T): EngineApi {
  const wrap = (arg: unknown): unknown => {
    if (typeof arg === "function") return proxy(arg);
    if (arg && typeof arg === "object" && !Array.isArray(arg) && !ArrayBuffer.isView(arg) && Object.values(arg).some((v) => typeof v === "function")) {
      return proxy(arg as object);
    }
    return arg;
  };
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      // Reflect.apply: on a comlink remote, `.apply` would be a remote property.
      return (...args: unknown[]) => Reflect.apply(value as (...a: unknown[]) => unknown, target, args.map(wrap));
    },
  });
}
