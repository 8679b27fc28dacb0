// What the figures were measured on: they mean little without the machine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function describeMachine() {
  let git = 'not found';
  try {
    git = execFileSync('git', ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^git version /, '');
  } catch {
    // reported as not found
  }
  return {
    cpu: cpuModel(),
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    git,
    node: process.version,
    /** Other work on the machine skews every figure: the 1-minute load average when the run began. */
    loadAverage: os.loadavg()[0],
  };
}
