import { Worker, type ResourceLimits } from "node:worker_threads";

/**
 * Starts a worker thread on `entry`, a sibling module given as its .ts URL. From the build
 * (dist/…) the sibling is the .js file. From source (tests and tsx) it is the .ts file, which
 * Node cannot load by itself: a two-line script registers tsx's loader in the new thread first
 * (tsx is a dev dependency, as is running from source).
 */
export function startWorker(entry: URL, options: { workerData: unknown; resourceLimits?: ResourceLimits }): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = fromSource ? entry : new URL(entry.href.replace(/\.ts$/, ".js"));
  return fromSource
    ? new Worker(
        `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`,
        { eval: true, ...options },
      )
    : new Worker(url, options);
}
