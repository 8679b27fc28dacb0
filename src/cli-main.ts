import type { Aws } from './adapters/aws.js';
import { stderrLine } from './adapters/stderr.js';
import { UsageError } from './core/errors.js';
import { ProgressLine } from './core/render/progress.js';
import { runRewritePlan } from './commands/rewrite-plan.js';
import { exitCodeFor, render, scanRepository, writeReport } from './commands/scan.js';
import {
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

exit status of org-merge: 0 merged, 2 error`;

/**
 * The AWS SDK clients, loaded only by the commands that call AWS: a scan without --verify never pays
 * for them (they are most of the CLI's start-up time and memory; the bundle keeps them in a chunk of
 * their own).
 */
async function loadAws(): Promise<Aws> {
  const { createAws, defaultAwsOptions } = await import('./adapters/aws.js');
  return createAws(defaultAwsOptions());
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
    if (command === 'scan') {
      const settings = parseScanArgs(rest, { cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) });
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
    throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    stderrLine(`error: ${msg}`);
    return 2;
  }
}
