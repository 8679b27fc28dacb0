import { workerData } from 'node:worker_threads';
import { PackFile } from './adapters/packs.js';
import { scanShare } from './scan/pack-pass.js';
import { isPackWorkerData, serveShare } from './scan/threads.js';

// Entry of the threads that read shares of a pack during a full-history scan (bundled as
// dist/pack-worker.js, beside the action and the CLI that start them).
if (isPackWorkerData(workerData)) {
  const data = workerData;
  const pack = PackFile.fromShare(data.share);
  void serveShare((onObjects) => scanShare(pack, data.plan, data.roots, data.markers, onObjects)).finally(
    () => pack.close(),
  );
}
