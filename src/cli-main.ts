import type { Aws } from './adapters/aws.js';
import { stderrLine } from './adapters/stderr.js';
import { UsageError } from './core/errors.js';
import { ProgressLine } from './core/render/progress.js';
import { runRewritePlan } from './commands/rewrite-plan.js';
import { countWords, runBaseline } from './commands/baseline.js';
import { blockedAdvice, runHook } from './commands/hook.js';
import { renderText } from './core/render/text.js';
import { terminalBlock } from './core/render/escape.js';
import { checkOutput, exitCodeFor, render, scanRepository, writeReport } from './commands/scan.js';
import {
  BASELINE_USAGE,
  HOOK_USAGE,
  ORG_MERGE_USAGE,
  parseBaselineArgs,
  parseHookArgs,
  parseOrgMergeArgs,
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
      const line = settings.progress ? new ProgressLine((t) => process.stderr.write(t)) : null;
      const result = await scanRepository(settings, line ? (p) => line.draw(p) : undefined);
      line?.clear();
      if (settings.verify) {
        // Only here does a scan touch the network: STS with each found pair, IAM with the responder's.
        const keys = result.report.findings.length;
        const phase = {
          phase: 'verifying',
          objects: keys,
          totalObjects: 0,
          bytes: 0,
          totalBytes: 0,
        } as const;
        if (keys > 0) line?.draw(phase);
        result.report = await respond(result, settings, {
          aws: await loadAws(),
          log: (l) => {
            line?.clear();
            stderrLine(l);
            if (keys > 0) line?.draw(phase);
          },
        });
        line?.clear();
      }
      await writeReport(render(result.report, settings.format), settings.output);
      if (settings.format !== 'text' || settings.output !== null) {
        for (const w of result.report.warnings) stderrLine(`warning: ${w}`);
      }
      for (const f of result.report.findings)
        for (const e of f.response?.errors ?? []) stderrLine(`error: ${e}`);
      return exitCodeFor(result.report, { failOnErrors: settings.failOnErrors });
    }
    if (command === 'trail') {
      const settings = parseTrailArgs(rest);
      await checkOutput(settings.eventsOut, '--events-out');
      const trail = await runTrail(settings, {
        aws: await loadAws(),
        log: stderrLine,
      });
      if (settings.eventsOut !== null) await writeEventsOut(trail, settings.eventsOut);
      process.stdout.write(renderTrail(trail, settings.format));
      for (const r of trail.summary.incompleteRegions) {
        stderrLine(`warning: ${r.region} could not be read: ${r.reason}`);
      }
      return trailExitCode(trail.summary);
    }
    if (command === 'rewrite-plan') {
      const settings = parseRewritePlanArgs(rest, { cwd: process.cwd() });
      await checkOutput(settings.output);
      const { text, warnings } = await runRewritePlan(settings);
      await writeReport(text, settings.output);
      for (const w of warnings) stderrLine(`warning: ${w}`);
      return 0;
    }
    if (command === 'org-merge') {
      const s = parseOrgMergeArgs(rest);
      const merged = await mergeOrgShardDir(s);
      for (const w of merged.warnings) stderrLine(`warning: ${w}`);
      process.stdout.write(renderOrgSummary(merged.summary));
      return 0;
    }
    if (command === 'hook') {
      const s = parseHookArgs(rest, process.env, { cwd: process.cwd() });
      const { report } = await runHook(s, readStdin);
      const found = report.findings.length + (report.loneSecrets ?? []).length > 0;
      if (found || report.incomplete) {
        process.stdout.write(renderText(report));
        if (found) process.stderr.write('\n' + terminalBlock(blockedAdvice(report, s.stage)));
        else stderrLine('the scan was incomplete (see the warnings above): blocked');
      }
      return exitCodeFor(report);
    }
    if (command === 'baseline') {
      const s = parseBaselineArgs(rest, { cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) });
      const line = s.scan.progress ? new ProgressLine((t) => process.stderr.write(t)) : null;
      const done = await runBaseline(s, new Date(), line ? (p) => line.draw(p) : undefined);
      line?.clear();
      for (const w of done.report.warnings) stderrLine(`warning: ${w}`);
      for (const e of done.unmatched)
        stderrLine(`warning: ${e.at}: names no key this scan found; nothing recorded for it`);
      const n = done.added.length;
      const keys = done.added.filter((f) => 'keyId' in f).length;
      const already = done.report.suppressed.filter((x) => x.reason === 'baseline');
      const alreadyKeys = already.filter((x) => x.keyId !== null).length;
      process.stdout.write(
        n === 0
          ? `keyleak: nothing new to record in ${done.file}${already.length > 0 ? ` (${countWords(alreadyKeys, already.length - alreadyKeys)} already in the baseline)` : ''}\n`
          : `keyleak: recorded ${countWords(keys, n - keys)} in the baseline of ${done.file}:\n` +
              done.added
                .map((f) => `  ${f.fingerprint}  ${'keyId' in f ? f.keyId : `secret ${f.secretRedacted}`}\n`)
                .join('') +
              'Commit the file: from now on only keys leaked after today are reported. The recorded keys are still\n' +
              'leaked: deactivate them in IAM (keyleak scan --verify says which are live).\n',
      );
      return done.report.incomplete ? 2 : 0;
    }
    throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    stderrLine(`error: ${msg}`);
    return 2;
  }
}
