import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';

// The workflows (CI and release) and action.yml are checked the way actionlint would check the parts that
// break a release: structure, pinned actions, expressions kept out of shell, and every `run:` script
// through shellcheck.
const ROOT = resolve(import.meta.dirname, '../..');
const WORKFLOWS = join(ROOT, '.github/workflows');
const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  uses?: string;
  run?: string;
  shell?: string;
}
interface Job {
  'runs-on'?: unknown;
  uses?: string;
  steps?: Step[];
}

function load(file: string): { on: unknown; jobs: Record<string, Job>; permissions?: unknown } {
  const doc = parseDocument(readFileSync(join(WORKFLOWS, file), 'utf8'));
  expect(
    doc.errors.map((e) => e.message),
    file,
  ).toEqual([]);
  return doc.toJS();
}

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe.each(files)('workflow %s', (file) => {
  const wf = load(file);

  it('has triggers, a top-level permissions block and jobs that each run somewhere', () => {
    expect(wf.on).toBeTruthy();
    expect(wf.permissions, 'least privilege by default').toBeTruthy();
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (job.uses) continue; // a reusable workflow call
      expect(job['runs-on'], name).toBeTruthy();
      expect(job.steps?.length, name).toBeGreaterThan(0);
      for (const s of job.steps!)
        expect(Boolean(s.uses) !== Boolean(s.run), `${name}: uses xor run`).toBe(true);
    }
  });

  it('pins every third-party action to a commit SHA', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const s of job.steps ?? []) {
        if (!s.uses || s.uses.startsWith('./') || s.uses.startsWith('docker://')) continue;
        expect(s.uses, file).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      }
    }
  });

  it('keeps user-controlled expressions out of shell scripts (they go through env:)', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const s of job.steps ?? []) {
        if (!s.run) continue;
        expect(s.run).not.toMatch(/\$\{\{\s*(inputs\.|github\.event\.|github\.head_ref)/);
      }
    }
  });

  it.skipIf(!hasShellcheck)('has run: scripts that shellcheck accepts', () => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const s of job.steps ?? []) {
        if (!s.run || (s.shell && s.shell !== 'bash')) continue;
        // Expressions are replaced before the shell sees them; a plain word stands in for each.
        const script = `#!/bin/bash\nset -e\n${s.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')}`;
        const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script, encoding: 'utf8' });
        expect(r.stdout, `${file} ${name}: ${s.run}`).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });
});

describe('action.yml', () => {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    name: string;
    description: string;
    branding: { icon: string; color: string };
    inputs: Record<string, { description: string; default?: string }>;
    runs: { using: string; main: string };
  };

  it('has the marketplace metadata: a name, a short description and branding', () => {
    expect(action.name).toBeTruthy();
    // The marketplace shows at most 125 characters.
    expect(action.description.length).toBeLessThanOrEqual(125);
    expect(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(
      action.branding.color,
    );
    expect(action.branding.icon).toMatch(/^[a-z-]+$/);
  });

  it('runs a node runtime the runners have, from a file the repository commits', () => {
    expect(['node20', 'node24']).toContain(action.runs.using);
    expect(existsSync(join(ROOT, action.runs.main))).toBe(true);
  });

  it('describes every input, and the mode input names every mode', () => {
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toBeTruthy();
    for (const mode of ['auto', 'push', 'pull-request', 'full', 'org', 'org-merge', 'rescan'])
      expect(action.inputs.mode!.description).toContain(mode);
  });
});
