// Comlink setup shared by the page and the engine worker: errors cross the
// boundary with their kind and details intact (comlink alone keeps only the
// message), so the UI can tell "not found" from "guest failed".
import * as Comlink from "comlink";
import { BerthError, fromWire, isWireError, toBerthError, type WireError } from "../core/errors.ts";

type Thrown = { value: unknown };

let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  // Keep comlink's own test for "this is a thrown value" (a private marker).
  const original = Comlink.transferHandlers.get("throw")!;
  Comlink.transferHandlers.set("throw", {
    canHandle: original.canHandle,
    serialize: ({ value }: Thrown) => {
      const wire: WireError = toBerthError(value).toWire();
      return [wire, []];
    },
    deserialize: (wire: unknown) => {
      throw isWireError(wire) ? fromWire(wire) : new BerthError("internal", String(wire));
    },
} as Comlink.TransferHandler<Thrown, WireError>);
}

export { Comlink };
