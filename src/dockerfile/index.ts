// Public API of the Dockerfile front end. See README.md in this folder.

export type * from "./types.ts";
export { parseDockerfile, chompHeredoc, KEYWORDS } from "./parser.ts";
export {
  planStages,
  analyzeDockerfile,
  loadDockerfile,
  diagnosticsError,
  findStage,
  stagesFor,
  type LoadOptions,
} from "./stages.ts";
export {
  expandStage,
  expandFrom,
  resolveGlobalArgs,
  resolveWorkdir,
  unusedBuildArgs,
  platformArgs,
  runCommand,
  PROXY_ARGS,
  DEFAULT_SHELL,
  type ExpandOptions,
  type ExpandedStage,
  type ExpandedStep,
  type ExpandedFrom,
  type Scope,
} from "./evaluate.ts";
export { expandWord, expandWords, processWord, type EnvLookup, type LexOptions, type ExpandResult } from "./expand.ts";
export { parseDockerignore, dockerignoreMatcher, DockerignoreMatcher, cleanPath } from "./dockerignore.ts";
export { parsePortSpec, parseDuration, parseMount, classifySource, splitUser, type PortSpec } from "./values.ts";
export { formatRange } from "./source.ts";
