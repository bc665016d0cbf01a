import { buildApp } from "./build.ts";

/** Tests that start the app as a process run the compiled build, as `npm start` does. */
export default function setup(): void {
  buildApp();
}
