import { run } from './main.js';

// The action's entry: everything happens in run(), which alone reports failure to the runner.
void run();
