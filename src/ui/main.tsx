import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { getEngine } from "./engine.ts";
import { registerPortServiceWorker, servePorts } from "../ports/page.ts";
import "@xterm/xterm/css/xterm.css";
import "./styles.css";

// `?bench` (npm run bench): no guest for the page, only the benchmark hook.
if (new URLSearchParams(location.search).has("bench")) {
  Object.assign(window, {
    berthBench: () => getEngine().benchmark(new URL("guest/", document.baseURI).href),
    berthEngineBench: () => getEngine().engineBenchmark(new URL("./", document.baseURI).href),
    berthRegistryBench: (host: string) => getEngine().registryBenchmark(new URL("./", document.baseURI).href, host),
  });
} else {
  // Published ports open at port/<n>/ through the service worker, which asks this page.
  servePorts((hostPort, req) => getEngine().httpRequest(hostPort, req));
  void registerPortServiceWorker().catch(() => null);
  // Best effort before the page goes: the engine also saves every 20 s.
  addEventListener("pagehide", () => void getEngine().flush().catch(() => {}));
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
