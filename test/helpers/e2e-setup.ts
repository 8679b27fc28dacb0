import type { TestProject } from 'vitest/node';
import { bundle } from './bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory holding the bundled action (index.js), built once per run of the e2e project. */
    actionDist: string;
  }
}

export default function setup(project: TestProject): void {
  project.provide('actionDist', bundle('src/index.ts'));
}
