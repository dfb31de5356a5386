// Types for scripts/registry.mjs, so TypeScript tests can import it.

export const REGISTRY_BIN: string;

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface TestRegistry {
  /** "127.0.0.1:40123" */
  host: string;
  port: number;
  /** "http://127.0.0.1:40123" */
  url: string;
  dir: string;
  storage: string;
  pid: number | undefined;
  auth?: RegistryAuth;
  /** The file the registry serves a blob's bytes from. */
  blobPath(digest: string): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number>;
export function htpasswdLine(username: string, password: string): string;
export function startRegistry(options?: { auth?: RegistryAuth; port?: number; dir?: string; detached?: boolean }): Promise<TestRegistry>;
