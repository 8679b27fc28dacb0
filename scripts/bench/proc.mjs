// Runs a command and measures it the way the OS sees it: wall time, CPU time of the whole process tree
// (from our own reaped-children counters) and peak resident memory of each process in the tree, polled
// from /proc so keyleak's node process and the git processes it starts are accounted for separately.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

const TICKS_PER_SECOND = 100; // USER_HZ; fixed at 100 on every Linux ABI node runs on

/** CPU seconds (user + system) of this process's reaped children, from /proc/self/stat. */
function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; cutime and cstime are 16 and 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

function readStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const name = /^Name:\s*(.*)$/m.exec(text)?.[1] ?? '?';
    const hwm = Number(/^VmHWM:\s*(\d+) kB$/m.exec(text)?.[1] ?? 0) * 1024;
    const rss = Number(/^VmRSS:\s*(\d+) kB$/m.exec(text)?.[1] ?? 0) * 1024;
    return { name, hwm, rss };
  } catch {
    return null; // exited between listing and reading
  }
}

/** CPU seconds (user + system) a live process has used so far. */
function readCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A short label for a process: its program and first two arguments (`git cat-file --batch`). */
function readLabel(pid) {
  try {
    let argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // git's own `-c key=value` settings come before the command that names the process.
    while (argv[1] === '-c') argv = [argv[0], ...argv.slice(3)];
    return [argv[0]?.split('/').pop(), ...argv.slice(1, 3).map((a) => a.split('=')[0].split('/').pop())].join(
      ' ',
    );
  } catch {
    return '?';
  }
}

/** `pid` and all its descendants, from the kernel's per-thread children lists. */
function processTree(pid) {
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    out.push(p);
    let tasks;
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' '))
          if (c) stack.push(Number(c));
      } catch {
        // thread or process gone
      }
    }
  }
  return out;
}

export const canMeasureMemory = (() => {
  try {
    readFileSync(`/proc/${process.pid}/task/${process.pid}/children`);
    return true;
  } catch {
    return false;
  }
})();

/**
 * Runs `cmd args` with stdout sent to `stdoutPath` (default /dev/null) and returns
 * { code, timedOut, wallSeconds, cpuSeconds, stderr, memory }, where memory has, for the root's own group (the
 * processes named like the root, e.g. node) and for the other processes (git):
 * peak — the largest single-process peak (VmHWM) and peakSum — the largest sum of concurrent VmRSS.
 * `processes` breaks CPU seconds and peak memory down by kind of process.
 * Memory and per-process CPU are polled every `pollMs`; a process living shorter than that may be missed, and growth in the
 * last interval before an exit is not seen.
 */
export async function measure(
  cmd,
  args,
  { cwd, env, stdoutPath = '/dev/null', pollMs = 10, timeoutSeconds = 0 } = {},
) {
  const out = openSync(stdoutPath, 'w');
  const cpu0 = childrenCpuSeconds();
  const t0 = process.hrtime.bigint();
  // Its own process group, so a timeout ends the whole tree it started and nothing else.
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, 'pipe'], detached: true });
  closeSync(out);
  let timedOut = false;
  const killer =
    timeoutSeconds > 0
      ? setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }, timeoutSeconds * 1000)
      : null;
  const stderr = [];
  child.stderr.on('data', (b) => stderr.push(b));

  const peaks = new Map(); // pid -> { name, label, hwm, cpu }
  const groups = { own: { peak: 0, peakSum: 0 }, children: { peak: 0, peakSum: 0 } };
  let rootName = null;
  const poll = () => {
    if (!canMeasureMemory || child.pid === undefined) return;
    const sums = { own: 0, children: 0 };
    for (const pid of processTree(child.pid)) {
      const s = readStatus(pid);
      if (!s) continue;
      if (pid === child.pid) rootName = s.name;
      // A child seen between fork and exec still looks like its parent: start afresh once it has
      // become what it runs.
      let prev = peaks.get(pid);
      if (prev && prev.name !== s.name) prev = undefined;
      peaks.set(pid, {
        name: s.name,
        label: prev?.label || readLabel(pid),
        hwm: Math.max(prev?.hwm ?? 0, s.hwm),
        cpu: Math.max(prev?.cpu ?? 0, readCpuSeconds(pid)),
      });
      const g = pid === child.pid || s.name === rootName ? 'own' : 'children';
      sums[g] += s.rss;
    }
    for (const g of ['own', 'children']) groups[g].peakSum = Math.max(groups[g].peakSum, sums[g]);
  };
  poll();
  const timer = setInterval(poll, pollMs);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(c ?? 128 + (signal ? 15 : 0)));
  });
  const t1 = process.hrtime.bigint();
  clearInterval(timer);
  if (killer) clearTimeout(killer);
  await new Promise((r) => (child.stderr.readableEnded ? r() : child.stderr.once('end', r)));

  for (const [pid, p] of peaks) {
    const g = pid === child.pid || p.name === rootName ? 'own' : 'children';
    groups[g].peak = Math.max(groups[g].peak, p.hwm);
  }
  const names = (g) => [
    ...new Set(
      [...peaks]
        .filter(([pid, p]) => (pid === child.pid || p.name === rootName) === (g === 'own'))
        .map(([, p]) => p.name),
    ),
  ];
  // CPU and peak memory by kind of process (one line for every `git cat-file --batch`, say).
  const processes = new Map();
  for (const p of peaks.values()) {
    if (!p.label) continue; // seen only after it exited
    const e = processes.get(p.label) ?? { label: p.label, count: 0, cpuSeconds: 0, peakBytes: 0 };
    e.count++;
    e.cpuSeconds += p.cpu;
    e.peakBytes = Math.max(e.peakBytes, p.hwm);
    processes.set(p.label, e);
  }
  return {
    code,
    timedOut,
    processes: [...processes.values()].sort((a, b) => b.cpuSeconds - a.cpuSeconds),
    wallSeconds: Number(t1 - t0) / 1e9,
    cpuSeconds: childrenCpuSeconds() - cpu0,
    stderr: Buffer.concat(stderr).toString('utf8'),
    memory: {
      measured: canMeasureMemory,
      own: { ...groups.own, names: names('own') },
      children: { ...groups.children, names: names('children'), processes: peaks.size - 1 },
    },
  };
}

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
