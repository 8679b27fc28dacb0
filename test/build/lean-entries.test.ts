import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
/** Packages an entry must load only when a run uses them (dynamic `import()`): they are most of a bundle. */
const LAZY = [/^@aws-sdk\//, /^@actions\/artifact$/];

/** Every module an entry reaches through static, value imports (`import type` and `import()` excluded). */
function staticGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const re = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?\bfrom\s+)?['"]([^'"]+)['"]/gm;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const spec = m[1]!;
      // `import { type A, type B } from …` loads nothing either.
      const names = /^\s*(?:import|export)\s*\{([^}]*)\}/.exec(m[0])?.[1];
      if (names && names.split(',').every((n) => n.trim() === '' || /^type\s/.test(n.trim()))) continue;
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!packages.has(spec)) packages.set(spec, file.slice(ROOT.length + 1));
    }
  };
  visit(join(ROOT, entry));
  return { files, packages };
}

describe('the entries load the AWS SDK and the artifact client only when a run uses them', () => {
  it.each([['src/index.ts'], ['src/cli.ts']])('%s imports neither statically', (entry) => {
    const { packages } = staticGraph(entry);
    const eager = [...packages]
      .filter(([p]) => LAZY.some((re) => re.test(p)))
      .map(([p, by]) => `${p} (by ${by})`);
    expect(eager).toEqual([]);
  });

  it('the CLI, which never calls GitHub, does not load its client: a scan starts without it', () => {
    const { packages } = staticGraph('src/cli.ts');
    const github = [...packages]
      .filter(([p]) => /^@octokit\//.test(p) || p === '@actions/github')
      .map(([p, by]) => `${p} (by ${by})`);
    expect(github).toEqual([]);
  });

  it('the check sees through to a package a module imports statically', () => {
    expect([...staticGraph('src/adapters/aws.ts').packages.keys()]).toContain('@aws-sdk/client-sts');
  });
});
