import type { Aws } from './adapters/aws.js';
import { UsageError } from './core/errors.js';
import { formatBytes } from './core/render/text.js';
import { runRewritePlan } from './commands/rewrite-plan.js';
import { runBaseline } from './commands/baseline.js';
import { blockedAdvice, runHook } from './commands/hook.js';
import { renderText } from './core/render/text.js';
import { checkOutput, exitCodeFor, render, runScan, writeReport } from './commands/scan.js';
import type { Progress } from './scan/passes.js';
import {
  BASELINE_USAGE,
  HOOK_USAGE,
  parseBaselineArgs,
  parseHookArgs,
  parseRewritePlanArgs,
  parseScanArgs,
  parseTrailArgs,
  REWRITE_PLAN_USAGE,
  SCAN_USAGE,
  TRAIL_USAGE,
} from './settings.js';
import { respond } from './commands/respond.js';
import { renderTrail, runTrail, trailExitCode, writeEventsOut } from './commands/trail.js';
import { VERSION } from './version.js';
import { mergeOrgShardDir } from './commands/org.js';
import { renderOrgSummary } from './core/render/org-summary.js';
import { ORG_MERGE_USAGE, parseOrgMergeArgs } from './core/org/settings.js';

const USAGE = `keyleak ${VERSION}: find leaked AWS access keys in git history

${SCAN_USAGE}

${TRAIL_USAGE}

exit status of scan: 0 nothing found, 1 keys found, 2 error or incomplete scan
exit status of trail: 0 every region read, 1 some regions could not be read, 2 error

${REWRITE_PLAN_USAGE}

exit status of rewrite-plan: 0 plan printed (or nothing to remove), 2 error

${ORG_MERGE_USAGE}

exit status of org-merge: 0 merged, 2 error

${BASELINE_USAGE}

exit status of baseline: 0 recorded (or nothing new), 2 error or incomplete scan

${HOOK_USAGE}

exit status of hook: 0 nothing found, 1 keys found (the commit or push is blocked), 2 error or incomplete scan

keyleak COMMAND --help prints one command's usage.`;

/** Each command's usage, printed by `keyleak COMMAND --help`. */
const COMMAND_USAGE: Record<string, string> = {
  scan: SCAN_USAGE,
  trail: TRAIL_USAGE,
  'rewrite-plan': REWRITE_PLAN_USAGE,
  'org-merge': ORG_MERGE_USAGE,
  baseline: BASELINE_USAGE,
  hook: HOOK_USAGE,
};

/**
 * The AWS SDK clients, loaded only by the commands that call AWS: a scan without --verify never pays
 * for them (they are most of the CLI's start-up time and memory; the bundle keeps them in a chunk of
 * their own).
 */
async function loadAws(): Promise<Aws> {
  const { createAws, defaultAwsOptions } = await import('./adapters/aws.js');
  return createAws(defaultAwsOptions());
}

function progressBar(): (p: Progress) => void {
  return (p) => {
    // Objects read from packs are counted as they come (their sizes are known only once rebuilt); the
    // rest is measured in bytes.
    const done =
      p.totalBytes > 0 ? p.bytes / p.totalBytes : p.totalObjects > 0 ? p.objects / p.totalObjects : -1;
    if (done < 0) {
      process.stderr.write(`\r${formatBytes(p.bytes)} scanned`);
      return;
    }
    const pct = Math.min(100, Math.floor(done * 100));
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${formatBytes(p.bytes)}`,
    );
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The CLI: parses arguments, runs the command, prints errors as messages, returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-V') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    const usage = Object.hasOwn(COMMAND_USAGE, command) ? COMMAND_USAGE[command] : undefined;
    if (usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(usage + '\n');
      return 0;
    }
    if (command === 'scan') {
      const settings = parseScanArgs(rest, { cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) });
      await checkOutput(settings.output);
      const result = await runScan(settings, settings.progress ? progressBar() : undefined);
      if (settings.progress) process.stderr.write('\r\x1b[K');
      if (settings.verify) {
        // Only here does a scan touch the network: STS with each found pair, IAM with the responder's.
        result.report = await respond(result, settings, {
          aws: await loadAws(),
          log: (line) => process.stderr.write(`keyleak: ${line}\n`),
        });
      }
      await writeReport(render(result.report, settings.format), settings.output);
      if (settings.format !== 'text' || settings.output !== null) {
        for (const w of result.report.warnings) process.stderr.write(`keyleak: warning: ${w}\n`);
      }
      return exitCodeFor(result.report);
    }
    if (command === 'trail') {
      const settings = parseTrailArgs(rest);
      await checkOutput(settings.eventsOut, '--events-out');
      const trail = await runTrail(settings, {
        aws: await loadAws(),
        log: (line) => process.stderr.write(`keyleak: ${line}\n`),
      });
      if (settings.eventsOut !== null) await writeEventsOut(trail, settings.eventsOut);
      process.stdout.write(renderTrail(trail, settings.format));
      for (const r of trail.summary.incompleteRegions) {
        process.stderr.write(`keyleak: warning: ${r.region} could not be read: ${r.reason}\n`);
      }
      return trailExitCode(trail.summary);
    }
    if (command === 'rewrite-plan') {
      const settings = parseRewritePlanArgs(rest, { cwd: process.cwd() });
      await checkOutput(settings.output);
      const { text, warnings } = await runRewritePlan(settings);
      await writeReport(text, settings.output);
      for (const w of warnings) process.stderr.write(`keyleak: warning: ${w}\n`);
      return 0;
    }
    if (command === 'org-merge') {
      const s = parseOrgMergeArgs(rest);
      const merged = await mergeOrgShardDir(s);
      for (const w of merged.warnings) process.stderr.write(`keyleak: warning: ${w}\n`);
      process.stdout.write(renderOrgSummary(merged.summary));
      return 0;
    }
    if (command === 'hook') {
      const s = parseHookArgs(rest, process.env, { cwd: process.cwd() });
      const { report } = await runHook(s, readStdin);
      if (report.findings.length > 0 || report.incomplete) {
        process.stdout.write(renderText(report));
        if (report.findings.length > 0) process.stderr.write('\n' + blockedAdvice(report, s.stage));
        else process.stderr.write('keyleak: the scan was incomplete (see the warnings above): blocked\n');
      }
      return exitCodeFor(report);
    }
    if (command === 'baseline') {
      const s = parseBaselineArgs(rest, { cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) });
      const done = await runBaseline(s, new Date(), s.scan.progress ? progressBar() : undefined);
      if (s.scan.progress) process.stderr.write('\r\x1b[K');
      for (const w of done.report.warnings) process.stderr.write(`keyleak: warning: ${w}\n`);
      const n = done.added.length;
      const already = done.report.suppressed.filter((x) => x.reason === 'baseline').length;
      process.stdout.write(
        n === 0
          ? `keyleak: nothing new to record in ${done.file}${already > 0 ? ` (${already} key${already === 1 ? '' : 's'} already in the baseline)` : ''}\n`
          : `keyleak: recorded ${n} key${n === 1 ? '' : 's'} in the baseline of ${done.file}:\n` +
              done.added.map((f) => `  ${f.fingerprint}  ${f.keyId}\n`).join('') +
              'Commit the file: from now on only keys leaked after today are reported. The recorded keys are still\n' +
              'leaked: deactivate them in IAM (keyleak scan --verify says which are live).\n',
      );
      return done.report.incomplete ? 2 : 0;
    }
    throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`keyleak: error: ${msg}\n`);
    return 2;
  }
}
