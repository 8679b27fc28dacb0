import { run } from './main.js';
import { workerScriptBeside } from './scan/pack-pass.js';

// The action's entry: everything happens in run(), which alone reports failure to the runner. Full-history
// scans read packs on threads started from the worker bundle beside this file.
workerScriptBeside(import.meta.url);
void run();
