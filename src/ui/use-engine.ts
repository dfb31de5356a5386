// React state that mirrors the engine: fetched once, then again whenever the
// engine reports an event of the given types (docker events), never polled.
import { useCallback, useEffect, useRef, useState } from "react";
import type { EngineEvent, EventType } from "../core/engine-api.ts";
import { onEngineEvent } from "./engine.ts";

export interface EngineState<T> {
  data: T | null;
  error: string | null;
  refresh(): void;
}

/** Actions that do not change what the lists show. */
const QUIET = /^(exec_|attach|detach|resize|top|archive-path|export)/;

export function useEngineState<T>(fetch: () => Promise<T>, types: readonly EventType[], deps: readonly unknown[] = []): EngineState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;

  const refresh = useCallback(() => {
    const n = ++seq.current;
    fetchRef.current().then(
      (d) => {
        if (n !== seq.current) return;
        setData(d);
        setError(null);
      },
      (err: unknown) => {
        if (n !== seq.current) return;
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  }, []);

  const typesKey = types.join(",");
  useEffect(() => {
    refresh();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const wanted = new Set(typesKey.split(","));
    const off = onEngineEvent((e: EngineEvent) => {
      if (!wanted.has(e.type) || QUIET.test(e.action)) return;
      // A burst of events (run = create, attach, start...) makes one fetch.
      if (timer === null) {
        timer = setTimeout(() => {
          timer = null;
          refresh();
        }, 60);
      }
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh, typesKey, ...deps]);

  return { data, error, refresh };
}

/** The current time, ticking every `ms` (for "3 minutes ago"). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
