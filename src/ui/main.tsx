// The page's entry. It starts the engine worker and the guest before anything
// else, so that the worker's code and the guest's files load while React and
// the app (a chunk of their own) are still loading.
import { registerPortServiceWorker, servePorts } from "../ports/page.ts";
import { afterGuestStart, getEngine, startEarly } from "./engine-worker.ts";
import "@xterm/xterm/css/xterm.css";
import "./styles.css";

performance.mark("berth:main");
// npm run bench's breakdown of page_ready_ms: when the worker's start phases began.
Object.assign(window, { berthTimeline: () => getEngine().timeline() });

// `?bench` (npm run bench): no guest for the page, only the benchmark hook.
if (new URLSearchParams(location.search).has("bench")) {
  Object.assign(window, {
    berthBench: () => getEngine().benchmark(new URL("guest/", document.baseURI).href),
    berthEngineBench: () => getEngine().engineBenchmark(new URL("./", document.baseURI).href),
    berthRegistryBench: (host: string) => getEngine().registryBenchmark(new URL("./", document.baseURI).href, host),
  });
} else {
  startEarly();
  void import("./page.tsx").then((m) => m.mountPage(document.getElementById("root")!));
  // Published ports open at port/<n>/ through the service worker, which asks
  // this page. It is registered once the guest is up (a port needs a running
  // container), so that its start-up does not slow the guest's.
  servePorts((hostPort, req) => getEngine().httpRequest(hostPort, req));
  void afterGuestStart().then(() => registerPortServiceWorker().catch(() => null));
  // Best effort before the page goes: the engine also saves every 20 s.
  addEventListener("pagehide", () => void getEngine().flush().catch(() => {}));
}
