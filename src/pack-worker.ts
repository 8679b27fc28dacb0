import { parentPort, workerData } from 'node:worker_threads';
import { PackFile } from './adapters/packs.js';
import { scanShare } from './scan/pack-pass.js';
import { adoptPlan } from './scan/pack-plan.js';
import { isPackWorkerData, serveShare } from './scan/threads.js';
import { diffFromPacks, type TreePairs } from './scan/tree-changes.js';

// Entry of the threads that read shares of a pack during a full-history scan, and that find the trees
// attribution needs (bundled as dist/pack-worker.js, beside the action and the CLI that start them).
if (isPackWorkerData(workerData)) {
  const data = workerData;
  if (data.job === 'share') {
    const pack = PackFile.fromShare(data.share);
    void serveShare((onObjects) => scanShare(pack, data.plan, data.roots, data.markers, onObjects)).finally(
      () => pack.close(),
    );
  } else {
    const packs = data.shares.map((share) => PackFile.fromShare(share));
    packs.forEach((pack, k) => adoptPlan(pack, data.plans[k]!));
    // The pairs of trees to diff come once git has listed the commits.
    const pairs = new Promise<TreePairs>((resolve) => parentPort!.once('message', resolve));
    void serveShare(() => diffFromPacks(packs, new Set(data.objects), pairs)).finally(() => {
      for (const pack of packs) pack.close();
    });
  }
}
