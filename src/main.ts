import * as core from '@actions/core';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Git } from './adapters/git.js';
import { loadConfig } from './commands/scan.js';
import { UsageError } from './core/errors.js';
import { renderJson } from './core/render/json.js';
import { renderMarkdown } from './core/render/markdown.js';
import { renderSarif } from './core/render/sarif.js';
import { scanHistory } from './scan/history.js';
import type { ScanResult } from './scan/result.js';
import { availableParallelism } from 'node:os';

const ZERO = /^0{40}$/;

/** The action: scan what the event brought in, report it, and fail when keys were found. */
export async function run(): Promise<void> {
  try {
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const eventName = process.env.GITHUB_EVENT_NAME ?? '';
    const eventPath = process.env.GITHUB_EVENT_PATH;
    const failOnFindings = core.getBooleanInput('fail-on-findings');
    const configPath = core.getInput('config') || null;
    let event: Record<string, unknown> = {};
    if (eventPath) {
      try {
        event = JSON.parse(await readFile(eventPath, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`cannot read the event payload at ${eventPath}: ${(e as Error).message}`);
      }
    }
    const git = await Git.open(workspace);
    const config = await loadConfig(configPath, workspace, git);
    let result: ScanResult;
    const opts = { config, jobs: availableParallelism() };
    if (eventName === 'push') {
      const before = String(event.before ?? '');
      const after = String(event.after ?? '');
      if (!/^[0-9a-f]{40}$/.test(before) || !/^[0-9a-f]{40}$/.test(after)) {
        throw new UsageError(`malformed push event: 'before' and 'after' must be commit SHAs`);
      }
      if (ZERO.test(after)) {
        core.info('The push deleted a ref: nothing to scan.');
        return;
      }
      const exclude = ZERO.test(before)
        ? ['--branches', '--tags'].filter(() => false)
        : [await git.resolveCommit(before)];
      result = await scanHistory(
        git,
        { mode: 'range', include: [await git.resolveCommit(after)], exclude },
        opts,
      );
    } else {
      result = await scanHistory(
        git,
        { mode: 'all', include: ['--branches', '--tags', 'HEAD'], exclude: [] },
        opts,
      );
    }
    for (const m of result.secrets.values())
      for (const s of [...m.secrets, ...m.sessionTokens]) core.setSecret(s);
    const report = result.report;
    const out = process.env.RUNNER_TEMP ?? workspace;
    const sarifFile = join(out, 'keyleak.sarif');
    const reportFile = join(out, 'keyleak-report.json');
    await writeFile(sarifFile, renderSarif(report));
    await writeFile(reportFile, renderJson(report));
    for (const f of report.findings) {
      for (const l of f.locations) {
        if (l.path)
          core.error(`AWS access key ${f.keyId} leaked${l.commit ? ` in ${l.commit.slice(0, 12)}` : ''}`, {
            file: l.path,
            startLine: l.line,
            title: 'keyleak',
          });
      }
    }
    for (const w of report.warnings) core.warning(w);
    await core.summary.addRaw(renderMarkdown(report)).write();
    core.setOutput('findings', report.findings.length);
    core.setOutput('live-keys', 0);
    core.setOutput('issues', '[]');
    core.setOutput('sarif-file', sarifFile);
    core.setOutput('report-file', reportFile);
    if (report.incomplete) core.setFailed(`keyleak: the scan was incomplete: ${report.warnings.join('; ')}`);
    else if (report.findings.length > 0 && failOnFindings) {
      core.setFailed(`keyleak: ${report.findings.length} leaked AWS key(s) found`);
    }
  } catch (e) {
    core.setFailed(`keyleak: ${e instanceof Error ? e.message : String(e)}`);
  }
}
