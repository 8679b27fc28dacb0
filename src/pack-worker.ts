import { workerData } from 'node:worker_threads';
import { isPackWorkerData, runPackWorker } from './scan/pack-pass.js';

// Entry of the threads that read shares of a pack during a full-history scan (bundled as
// dist/pack-worker.js, beside the action and the CLI that start them).
if (isPackWorkerData(workerData)) void runPackWorker(workerData);
