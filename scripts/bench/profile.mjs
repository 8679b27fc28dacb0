// Summarises a V8 .cpuprofile (node --cpu-prof): where the scanner's own process spends its time, by
// self time per function. "(idle)" is time spent waiting, mostly for git's output.

/**
 * Returns { totalSeconds, top: [{ name, location, selfSeconds, share }], table } for the `limit`
 * functions with the most self time (same function at the same place counted once).
 */
export function summariseProfile(profile, limit = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> microseconds
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the interval after it belongs to the sample.
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  const byFunction = new Map();
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame;
    const file = f.url
      ? f.url
          .replace(/^file:\/\//, '')
          .split('/')
          .slice(-2)
          .join('/')
      : '';
    const location = file ? `${file}:${f.lineNumber + 1}` : '';
    const name = f.functionName || '(anonymous)';
    const key = `${name}\0${location}`;
    const entry = byFunction.get(key) ?? { name, location, selfSeconds: 0 };
    entry.selfSeconds += us / 1e6;
    byFunction.set(key, entry);
  }
  const totalSeconds = (profile.endTime - profile.startTime) / 1e6;
  const top = [...byFunction.values()]
    .sort((a, b) => b.selfSeconds - a.selfSeconds)
    .slice(0, limit)
    .map((e) => ({ ...e, share: e.selfSeconds / totalSeconds }));
  const lines = [`keyleak's own process, top self time (of ${totalSeconds.toFixed(1)} s profiled):`];
  for (const e of top) {
    lines.push(
      `  ${e.selfSeconds.toFixed(2).padStart(7)} s ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.name}${e.location ? `  ${e.location}` : ''}`,
    );
  }
  return { totalSeconds, top, table: lines.join('\n') };
}
