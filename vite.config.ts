import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { registryProxy } from "./src/registry/proxy-plugin.ts";

// `npm start` serves the playground; `npm run build` writes a static site to
// dist/ that works from any static host (relative base, no server needed).
export default defineConfig({
  base: "./",
  plugins: [react(), registryProxy()],
  worker: { format: "es" },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    assetsInlineLimit: 0,
  },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173 },
});
